"""What OUT may be: `mergelint run` (a real subprocess) refuses an OUT that would replace or change
an input, the current folder, the home folder or `/`, and `--force` replaces only an empty folder
or an earlier mergelint output. Every input is byte-identical afterwards."""

import json
import os
import shutil
import stat
import subprocess

import pytest
from run_support import hashes, leftovers, run as mergelint_run

from merge_core.output_dir import MARKER


@pytest.fixture
def workdir(zoo, tmp_path):
    """A folder holding two models, a LoRA and the config, as a user would lay them out."""
    for name in ("a", "b", "lora_a"):
        shutil.copytree(getattr(zoo, name), tmp_path / name)
    (tmp_path / "notes.txt").write_text("the user's own file\n")
    (tmp_path / "merge.yml").write_text(
        "merge_method: linear\ndtype: float32\nmodels:\n"
        "  - model: a+lora_a\n    parameters: {weight: 0.5}\n"
        "  - model: b\n    parameters: {weight: 0.5}\n")
    return tmp_path


def refused(result, *words):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for w in words:
        assert w in result.stderr, result.stderr


@pytest.mark.parametrize("out, words", [
    (".", ["OUT is the current folder"]),
    ("a", ["OUT is the input a"]),
    ("a/merged", ["lies inside the input a"]),
    ("lora_a", ["OUT is the input lora_a"]),
])
def test_out_on_an_input_is_refused_even_with_force(workdir, out, words):
    before = hashes(workdir)
    refused(mergelint_run("merge.yml", out, "--force", cwd=workdir), *words)
    assert hashes(workdir) == before


def test_out_that_is_the_parent_of_the_inputs(workdir):
    sub = workdir / "configs"
    sub.mkdir()
    (sub / "merge.yml").write_text((workdir / "merge.yml").read_text().replace("a+lora_a", "../a+../lora_a")
                                   .replace("model: b", "model: ../b"))
    before = hashes(workdir)
    refused(mergelint_run("merge.yml", "..", "--force", cwd=sub), "OUT contains the current folder")
    assert hashes(workdir) == before


def test_out_that_is_a_parent_of_the_lora_only(zoo, tmp_path):
    """The LoRA lives in its own tree; OUT is that tree's folder."""
    (tmp_path / "adapters").mkdir()
    shutil.copytree(zoo.lora_a, tmp_path / "adapters" / "lora")
    (tmp_path / "merge.yml").write_text(
        f"merge_method: linear\ndtype: float32\nmodels:\n  - model: {zoo.a}+adapters/lora\n"
        f"    parameters: {{weight: 0.5}}\n  - model: {zoo.b}\n    parameters: {{weight: 0.5}}\n")
    before = hashes(tmp_path, zoo.a, zoo.b)
    refused(mergelint_run("merge.yml", "adapters", "--force", cwd=tmp_path), "contains the input", "adapters/lora")
    assert hashes(tmp_path, zoo.a, zoo.b) == before


def test_out_on_the_tokenizer_source_is_refused(zoo, workdir):
    shutil.copytree(zoo.c, workdir / "tok")
    text = (workdir / "merge.yml").read_text() + "tokenizer_source: tok\n"
    (workdir / "tok.yml").write_text(text)
    before = hashes(workdir)
    refused(mergelint_run("tok.yml", "tok", "--force", cwd=workdir), "OUT is the input tok")
    assert hashes(workdir) == before


def test_a_symlink_to_an_input_is_resolved(workdir):
    os.symlink(workdir / "b", workdir / "link")
    before = hashes(workdir)
    refused(mergelint_run("merge.yml", "link", "--force", cwd=workdir), "OUT is the input b")
    refused(mergelint_run("merge.yml", "link/inner", cwd=workdir), "lies inside the input b")
    assert hashes(workdir) == before and os.path.islink(workdir / "link")


def test_the_current_folder_home_and_root(zoo, workdir, tmp_path_factory):
    """Models elsewhere: OUT is still not the current folder, a folder above it, home or /."""
    cfg = workdir / "far.yml"
    cfg.write_text(f"merge_method: linear\ndtype: float32\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 1}}\n")
    home = tmp_path_factory.mktemp("home")
    (home / "dotfile").write_text("x")
    inner = home / "project"
    inner.mkdir()
    before = hashes(workdir, home)
    refused(mergelint_run(cfg, ".", "--force", cwd=workdir), "OUT is the current folder")
    refused(mergelint_run(cfg, "..", "--force", cwd=inner, env={"HOME": str(home)}), "OUT is the home folder")
    refused(mergelint_run(cfg, "..", "--force", cwd=inner), "OUT contains the current folder")
    refused(mergelint_run(cfg, home, "--force", cwd=workdir, env={"HOME": str(home)}), "OUT is the home folder")
    refused(mergelint_run(cfg, "/", "--force", cwd=workdir), "OUT is /")
    assert hashes(workdir, home) == before


def test_out_in_the_hub_cache_of_an_input_is_refused_before_any_model_is_read(zoo, tmp_path):
    """A Hub id that is not cached: the run would fail on it (no --online) once models are read,
    so a refusal naming OUT shows the check comes first, and the cache folder is protected."""
    cache = tmp_path / "hub"
    cache.mkdir()
    (tmp_path / "merge.yml").write_text(
        f"merge_method: linear\ndtype: float32\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 0.5}}\n"
        "  - model: some-org/not-cached\n    parameters: {weight: 0.5}\n")
    env = {"HF_HUB_CACHE": str(cache)}
    out = cache / "models--some-org--not-cached" / "merged"
    refused(mergelint_run("merge.yml", out, cwd=tmp_path, env=env), "lies inside the input some-org/not-cached")
    refused(mergelint_run("merge.yml", cache, "--force", cwd=tmp_path, env=env), "contains the input some-org/not-cached")
    assert not out.exists()
    result = mergelint_run("merge.yml", tmp_path / "fine", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "pass --online" in result.stderr, result.stderr


def test_force_replaces_only_an_earlier_output_or_an_empty_folder(workdir):
    before = hashes(workdir)
    out = workdir / "merged"
    first = mergelint_run("merge.yml", "merged", cwd=workdir)
    assert first.returncode == 0, first.stderr
    marker = json.loads((out / MARKER).read_text())
    assert marker["tool"] == "mergelint" and "model.safetensors" in marker["files"]
    mode = stat.S_IMODE(out.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o777 & ~umask  # like any folder the user makes, not mkdtemp's 0700

    refused(mergelint_run("merge.yml", "merged", cwd=workdir), "already exists", "--force")
    (out / "model.safetensors").write_bytes(b"old")
    again = mergelint_run("merge.yml", "merged", "--force", cwd=workdir)
    assert again.returncode == 0, again.stderr
    assert (out / "model.safetensors").read_bytes() != b"old"

    (out / "my-eval.json").write_text("{}")  # the user's file inside an earlier output
    refused(mergelint_run("merge.yml", "merged", "--force", cwd=workdir), "my-eval.json", "did not write")
    assert (out / "my-eval.json").exists() and (out / "model.safetensors").exists()

    other = workdir / "other"
    other.mkdir()
    for name in ("thesis.tex", "data.csv", "figure.png", "x1", "x2", "x3", "x4"):
        (other / name).write_text("mine")
    refused(mergelint_run("merge.yml", "other", "--force", cwd=workdir), "not an earlier mergelint output",
            "data.csv", "and 2 more")
    assert sorted(os.listdir(other)) == sorted(["thesis.tex", "data.csv", "figure.png", "x1", "x2", "x3", "x4"])

    empty = workdir / "empty"
    empty.mkdir()
    result = mergelint_run("merge.yml", "empty", "--force", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert (empty / "model.safetensors").exists()
    assert not leftovers(workdir)
    assert {k: v for k, v in hashes(workdir).items() if k in before} == before


def test_out_that_is_not_a_folder(workdir):
    (workdir / "file").write_text("x")
    os.symlink(workdir / "nowhere", workdir / "dangling")
    refused(mergelint_run("merge.yml", "file", "--force", cwd=workdir), "is not a folder")
    refused(mergelint_run("merge.yml", "dangling", "--force", cwd=workdir), "is a symbolic link")
    refused(mergelint_run("merge.yml", "file/sub", cwd=workdir), "is not a folder")
    assert (workdir / "file").read_text() == "x"


def _read_only_folder(tmp_path):
    """A folder this process cannot write into: chmod where that binds, a read-only mount for root."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return folder, None
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"root ignores permissions and a read-only mount failed: {done.stderr.strip()}")
    return folder, lambda: subprocess.run(["umount", str(folder)], check=True)


def test_out_in_a_read_only_folder_is_a_plain_error(workdir):
    folder, undo = _read_only_folder(workdir)
    try:
        result = mergelint_run("merge.yml", folder / "merged", cwd=workdir)
        refused(result, str(folder))
        assert "internal error" not in result.stderr and "PermissionError" not in result.stderr
        assert ("permission denied" in result.stderr) or ("read-only file system" in result.stderr)
    finally:
        if undo:
            undo()
        else:
            folder.chmod(0o755)
