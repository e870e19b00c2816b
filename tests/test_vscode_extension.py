"""The VS Code extension (vscode-extension/): lint, unit tests, .vsix, and the end-to-end run in a real
VS Code (code-server in headless Chromium, see vscode-extension/e2e/run.sh).

These need Node 20 + npm (and, for the end-to-end run, Debian's chromium and ripgrep). Without them the
tests are skipped, except when MERGELINT_REQUIRE_EDITORS=1 (set by .ci/run): then a missing tool fails.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "vscode-extension"
REQUIRED = os.environ.get("MERGELINT_REQUIRE_EDITORS", "") not in ("", "0")


def _need(*tools: str) -> None:
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        message = f"needs {', '.join(missing)} on PATH"
        if REQUIRED:
            pytest.fail(f"MERGELINT_REQUIRE_EDITORS is set but this machine lacks {', '.join(missing)}")
        pytest.skip(message)


def _run(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=kw.pop("cwd", EXT), capture_output=True, text=True, timeout=timeout, **kw)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"
    return proc


def _mergelint() -> str | None:
    """The mergelint installed with the Python running the tests (the CI venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "mergelint"
    return str(beside) if beside.exists() else shutil.which("mergelint")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A scratch copy of vscode-extension/ with its own `npm ci`: the tree's node_modules, build outputs
    and artifacts stay as the developer left them, and test runs side by side do not clobber each other."""
    _need("node", "npm")
    work = tmp_path_factory.mktemp("vscode-extension")
    shutil.copytree(EXT, work, dirs_exist_ok=True, symlinks=True,
                    ignore=shutil.ignore_patterns("node_modules", "dist", "out", "artifacts", ".code-server", "*.vsix"))
    _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600, cwd=work)
    return work


def test_lockfile_is_portable():
    """package-lock.json records no download addresses or local paths, only versions and integrity."""
    lock = json.loads((EXT / "package-lock.json").read_text())
    assert lock["lockfileVersion"] >= 2
    for name, entry in lock["packages"].items():
        assert "resolved" not in entry or entry["resolved"].startswith("https://registry.npmjs.org/"), name
        assert not entry.get("link"), f"{name} is a link to a local folder"
        if name:
            assert entry.get("integrity", "").startswith("sha512-"), f"{name} has no integrity hash"
    manifest = json.loads((EXT / "package.json").read_text())
    assert manifest["devDependencies"]["@vscode/vsce"] == "3.9.2"  # 4.x wants Node 22


def test_lint_unit_tests_and_package(work):
    _run(["npm", "run", "lint"], timeout=300, cwd=work)
    env = {**os.environ, "MERGELINT_BIN": _mergelint() or ""}
    tests = _run(["npm", "test"], timeout=300, cwd=work, env=env)
    assert "# fail 0" in tests.stdout, tests.stdout[-3000:]
    _run(["npm", "run", "package"], timeout=300, cwd=work)
    vsix = work / "mergelint.vsix"
    with zipfile.ZipFile(vsix) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
    assert {"extension/dist/extension.js", "extension/package.json", "extension/readme.md"} <= names
    assert not any("node_modules" in n or n.endswith(".ts") for n in names), sorted(names)
    commands = {c["command"] for c in manifest["contributes"]["commands"]}
    assert commands == {"mergelint.restart", "mergelint.showOutput", "mergelint.runMerge"}
    settings = set(manifest["contributes"]["configuration"]["properties"])
    assert {"mergelint.path", "mergelint.interpreter", "mergelint.args", "mergelint.online", "mergelint.select",
            "mergelint.ignore", "mergelint.severity", "mergelint.kind", "mergelint.trace.server"} <= settings
    # the server's schema errors are diagnostics already: no yamlValidation that would repeat them
    assert "yamlValidation" not in manifest["contributes"]


def test_end_to_end_in_code_server(work):
    _need("chromium", "rg", "g++", "make", "flock")
    mergelint = _mergelint()
    if not mergelint or subprocess.run([mergelint, "lsp", "--help"], capture_output=True).returncode != 0:
        pytest.fail(f"no mergelint with a language server to test against ({mergelint})")
    if not (work / "mergelint.vsix").exists():
        _run(["npm", "run", "package"], timeout=300, cwd=work)
    artifacts = EXT / "artifacts" / "e2e"
    artifacts.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MERGELINT_BIN": mergelint, "E2E_ARTIFACTS": str(artifacts),
           "VSIX": str(work / "mergelint.vsix"), "CS_DIR": str(EXT / "e2e" / ".code-server")}
    # one end-to-end run at a time writes the artifacts folder (code-server's install is cached across runs)
    with open(EXT / "artifacts" / ".e2e.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(["bash", str(work / "e2e" / "run.sh")], cwd=work, env=env, capture_output=True,
                              text=True, timeout=900)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, out[-12000:]
        for scenario in ("fix", "bad-input"):
            result = json.loads((artifacts / f"{scenario}-result.json").read_text())
            assert result["ok"], result
            for step in result["steps"]:
                assert (artifacts / step["screenshot"]).stat().st_size > 10_000, step
        fix_steps = [s["step"] for s in json.loads((artifacts / "fix-result.json").read_text())["steps"]]
        assert fix_steps == ["problems", "kind-in-status-bar", "quick-fix-menu", "first-fix-applied", "fixed"]
