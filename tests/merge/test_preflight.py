"""`run`'s preflight: a merge whose plan does not fit is refused before any weight is read."""

from __future__ import annotations

import os

from click.testing import CliRunner

from mergelint.cli import main


def run(*args):
    return CliRunner().invoke(main, ["run", *map(str, args)], catch_exceptions=False)


def linear(zoo):
    return (f"merge_method: linear\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 0.5}}\n"
            f"  - model: {zoo.b}\n    parameters: {{weight: 0.5}}\n")


def test_too_little_memory_is_refused_and_nothing_written(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = run(cfg(linear(zoo)), out, "--max-memory", "1MB")
    assert result.exit_code == 1, result.output
    assert "preflight: the merge needs about" in result.stderr
    assert "of memory at its peak and 0.00 GB is --max-memory" in result.stderr
    assert "close other programs" in result.stderr and "--no-preflight" in result.stderr
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["merge.yml"]  # no partial folder beside OUT either


def test_too_little_disk_is_refused(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = run(cfg(linear(zoo)), out, "--max-disk", "10kB")
    assert result.exit_code == 1, result.output
    assert "the output needs" in result.stderr and "0.00 GB is --max-disk" in result.stderr
    assert "write OUT to another disk" in result.stderr
    assert "memory" not in result.stderr.split("preflight:")[1].split(";")[0]
    assert not out.exists()


def test_many_models_are_told_to_merge_in_steps(zoo, cfg, tmp_path):
    text = f"merge_method: ties\nbase_model: {zoo.a}\nmodels:\n" + "".join(
        f"  - model: {m}\n    parameters: {{weight: 0.5, density: 0.5}}\n" for m in (zoo.b, zoo.c, zoo.d))
    result = run(cfg(text), tmp_path / "out", "--max-memory", "1MB")
    assert result.exit_code == 1
    assert "merge fewer of the 4 models in one step" in result.stderr


def test_no_preflight_merges_anyway(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = run(cfg(linear(zoo)), out, "--max-memory", "1MB", "--max-disk", "10kB", "--no-preflight")
    assert result.exit_code == 0, result.output
    assert (out / "model.safetensors").exists()


def test_enough_memory_and_disk_pass(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = run(cfg(linear(zoo)), out, "--max-memory", "64GB", "--max-disk", "1GB")
    assert result.exit_code == 0, result.output


def test_a_bad_size_is_a_usage_error(zoo, cfg, tmp_path):
    result = run(cfg(linear(zoo)), tmp_path / "out", "--max-memory", "lots")
    assert result.exit_code == 2 and "--max-memory: not a size" in result.stderr
