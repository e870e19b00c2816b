"""The README's commands and snippets, run as a new user pastes them.

The settings block is used as a `.mergelint.toml` and in a `pyproject.toml`; the pre-commit snippets
run in a fresh git repository with real pre-commit (the local hook here, the clone form, which
makes pre-commit install mergelint from this checkout, in the slow set); the set-up command runs in
a fresh clone (slow).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TYPO = "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    parameters: {weight: 1.0, densty: 0.5}\n"
GOOD = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1.0}\n"


def blocks(language: str, after: str) -> list[str]:
    """The ```language blocks of the README section whose heading is `after`."""
    section = README.split(after, 1)[1].split("\n#", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def test_readme_settings_block_works_in_either_file(tmp_path):
    (toml,) = blocks("toml", "### Configuration")
    config = (ROOT / "tests" / "fixtures" / "rules" / "base-parameter-ignored.yml").read_text()  # the block ignores it
    env = {k: v for k, v in os.environ.items() if k != "MERGELINT_DEBUG"}
    for name in (".mergelint.toml", "pyproject.toml"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_text(toml)
        (folder / "merge.yml").write_text(config)
        result = subprocess.run([sys.executable, "-m", "mergelint", "check", "--ignore", "model-not-found", "merge.yml"],
                                cwd=folder, capture_output=True, text=True, timeout=60, env=env)
        assert result.returncode == 0 and result.stdout == "", (name, result.stdout, result.stderr)
        (folder / name).write_text("")  # without the block, the rule it ignores is reported
        result = subprocess.run([sys.executable, "-m", "mergelint", "check", "--ignore", "model-not-found", "merge.yml"],
                                cwd=folder, capture_output=True, text=True, timeout=60, env=env)
        assert "base-parameter-ignored" in result.stdout, result.stdout


def _pre_commit_repo(tmp_path: Path, snippet: str, config: str) -> Path:
    repo = tmp_path / "recipes"
    repo.mkdir(parents=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    (repo / ".pre-commit-config.yaml").write_text(snippet)
    (repo / "merge.yml").write_text(config)
    (repo / "notes.yml").write_text("title: not a merge config\n")  # --configs-only passes it over
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    return repo


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    env.pop("MERGELINT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)


def test_readme_local_pre_commit_hook_fails_on_a_warning(tmp_path):
    pytest.importorskip("pre_commit")
    local, _clone = blocks("yaml", "### pre-commit")
    assert "repo: local" in local
    typo = _pre_commit(_pre_commit_repo(tmp_path / "typo", local, TYPO), tmp_path / "home")
    assert typo.returncode == 1 and "warning[unknown-parameter]" in typo.stdout, typo.stdout + typo.stderr
    good = _pre_commit(_pre_commit_repo(tmp_path / "good", local, GOOD), tmp_path / "home")
    assert good.returncode == 0, good.stdout + good.stderr


@pytest.mark.slow
def test_readme_clone_pre_commit_hook_fails_on_a_warning(tmp_path):
    """pre-commit clones this checkout at a commit and installs mergelint from it (about a minute)."""
    pytest.importorskip("pre_commit")
    _local, clone = blocks("yaml", "### pre-commit")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    snippet = clone.replace("/path/to/mergelint", str(ROOT)).replace(
        "0123456789abcdef0123456789abcdef01234567", head.stdout.strip())
    typo = _pre_commit(_pre_commit_repo(tmp_path, snippet, TYPO), tmp_path / "home")
    assert typo.returncode == 1 and "warning[unknown-parameter]" in typo.stdout, typo.stdout + typo.stderr


def test_hook_manifest_passes_strict():
    manifest = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: mergelint check --configs-only" in manifest and "args: [--strict]" in manifest


def test_readme_has_the_two_commands():
    setup = blocks("sh", "## Set-up")
    assert setup[0].strip() == "python3 -m venv .venv && . .venv/bin/activate && pip install . && mergelint check examples/"
    assert setup[1].strip() == "python3 -m venv .venv && . .venv/bin/activate && ./scripts/test"
    assert os.access(ROOT / "scripts" / "test", os.X_OK)
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in " ".join(README.split())


@pytest.mark.slow
def test_readme_setup_command_in_a_fresh_clone(tmp_path):
    """The first set-up command, pasted into a fresh clone of this checkout's HEAD."""
    clone = tmp_path / "mergelint"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    command = blocks("sh", "## Set-up")[0].strip()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MERGELINT_DEBUG", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(ROOT)))  # not this checkout's venv
    result = subprocess.run(["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert shutil.which("mergelint", path=str(clone / ".venv" / "bin"))
