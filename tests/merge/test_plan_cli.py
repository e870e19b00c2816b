"""`mergelint plan`: the report's formats, its totals against what `run` writes, and bad input."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from mergelint.cli import main


def plan(*args):
    runner = CliRunner()
    return runner.invoke(main, ["plan", *map(str, args)], catch_exceptions=False)


def linear(zoo):
    return (f"merge_method: linear\ndtype: float32\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: [0, 1]}}\n"
            f"  - model: {zoo.b}\n    parameters: {{weight: 0.5}}\n")


def test_json_lists_every_tensor_and_the_totals(zoo, cfg):
    result = plan(cfg(linear(zoo)), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    totals = report["totals"]
    assert {"read_bytes", "write_bytes", "peak_memory_bytes", "peak_gpu_bytes", "disk_bytes", "seconds"} <= set(totals)
    assert all(isinstance(totals[k], (int, float)) and totals[k] > 0
               for k in ("read_bytes", "write_bytes", "peak_memory_bytes", "disk_bytes", "seconds"))
    assert totals["peak_gpu_bytes"] == 0  # --device cpu
    q = next(t for t in report["tensors"] if t["name"] == "model.layers.3.self_attn.q_proj.weight")
    assert q["method"] == "linear"
    assert q["sources"] == [{"model": zoo.a, "tensor": q["name"]}, {"model": zoo.b, "tensor": q["name"]}]
    assert q["parameters"] == {"normalize": True}
    assert q["model_parameters"] == {zoo.a: {"weight": 1.0}, zoo.b: {"weight": 0.5}}
    assert len(report["tensors"]) == 4 * 9 + 3


def test_write_and_read_bytes_are_what_run_does(zoo, cfg, tmp_path):
    config = cfg(linear(zoo))
    report = json.loads(plan(config, "--format", "json", "--out-shard-size", "20kB").stdout)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(config), str(out), "--out-shard-size", "20kB"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    shards = [f for f in os.listdir(out) if f.endswith(".safetensors")]
    assert len(shards) > 3
    assert report["totals"]["write_bytes"] == sum(os.path.getsize(out / f) for f in shards)
    # every input tensor of both models is read once: the size of their checkpoints' data
    data = 0
    for folder in (zoo.a, zoo.b):
        path = os.path.join(folder, "model.safetensors")
        with open(path, "rb") as f:
            data += os.path.getsize(path) - 8 - int.from_bytes(f.read(8), "little")
    assert report["totals"]["read_bytes"] == data
    total = sum(os.path.getsize(out / f) for f in os.listdir(out))
    assert total <= report["totals"]["disk_bytes"]


def test_cuda_estimates_gpu_memory(zoo, cfg):
    report = json.loads(plan(cfg(linear(zoo)), "--format", "json", "--device", "cuda").stdout)
    assert report["totals"]["peak_gpu_bytes"] > report["totals"]["write_bytes"]


def test_text_shows_totals_then_layers(zoo, cfg):
    result = plan(cfg(linear(zoo)))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "plan: 39 output tensors by linear"
    assert [ln.split()[0] for ln in lines[1:6]] == ["read", "write", "peak", "disk", "time"]
    header = next(ln for ln in lines if ln.startswith("layer"))
    assert f"weight[{zoo.a}]" in header and f"weight[{zoo.b}]" in header
    rows = {ln.split()[0]: ln.split() for ln in lines[lines.index(header) + 1:] if ln}
    assert list(rows) == ["pre", "0", "1", "2", "3", "post"]
    assert rows["2"][1] == "0.667" and "0.6667" in rows["2"]  # the gradient at t = 2/3


def test_long_tables_fold_and_filters_are_marked(zoo, cfg):
    slices = "".join(f"  - sources: [{{model: {zoo.a}, layer_range: [0, 4]}}]\n" for _ in range(5))
    text = ("merge_method: passthrough\nparameters:\n  scale: [{filter: o_proj, value: 0.5}, {value: 1.0}]\n"
            "slices:\n" + slices)
    result = plan(cfg(text))
    assert result.exit_code == 0, result.output
    assert "... 10 more rows (--format json lists every tensor)" in result.stdout
    assert "0.5..1*" in result.stdout and "a filter" in result.stdout


def test_dry_run_is_the_same_report(zoo, cfg, tmp_path):
    config = cfg(linear(zoo))
    dry = CliRunner().invoke(main, ["run", str(config), str(tmp_path / "out"), "--dry-run"], catch_exceptions=False)
    listed = plan(config, "--tensors")
    assert dry.exit_code == listed.exit_code == 0
    assert dry.stdout == listed.stdout
    assert f"    {zoo.a}:model.layers.0.mlp.up_proj.weight {{\"weight\":0.0}}" in dry.stdout


def test_a_config_with_errors_gets_its_diagnostics_and_no_plan(zoo, cfg):
    result = plan(cfg(f"merge_method: linear\nmodels:\n  - model: {zoo.a}\n  - model: {zoo.b}\n"))
    assert result.exit_code == 1
    assert "missing-required-parameter" in result.stderr and "no plan" in result.stderr
    assert result.stdout == ""


def test_models_not_found_give_unknown_totals(zoo, cfg, tmp_path):
    missing = tmp_path / "nowhere"
    text = (f"merge_method: linear\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 0.5}}\n"
            f"  - model: {missing}\n    parameters: {{weight: 0.5}}\n")
    result = plan(cfg(text), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert all(report["totals"][k] is None for k in
               ("read_bytes", "write_bytes", "peak_memory_bytes", "peak_gpu_bytes", "disk_bytes", "seconds"))
    assert report["tensors"] == []
    assert len(report["missing_models"]) == 1 and str(missing) in report["missing_models"][0]
    text_result = plan(cfg(text))
    assert text_result.exit_code == 0
    assert "read         unknown" in text_result.stdout and str(missing) in text_result.stdout


def test_an_unusable_config_file(tmp_path):
    result = plan(tmp_path / "absent.yml")
    assert result.exit_code == 2


def test_seconds_come_from_the_remembered_throughput(zoo, cfg, tmp_path, monkeypatch):
    from merge_core import estimate, throughput

    monkeypatch.setenv("MERGELINT_CACHE_DIR", str(tmp_path / "cache"))
    config = cfg(linear(zoo))
    before = json.loads(plan(config, "--format", "json").stdout)["totals"]
    assert before["throughput"] == throughput.DEFAULT["cpu"] and not before["throughput_measured"]
    throughput.record("cpu", "linear", 100 << 20, 4.0)
    after = json.loads(plan(config, "--format", "json").stdout)["totals"]
    assert after["throughput_measured"] and after["throughput"] == (100 << 20) / 4.0
    moved = after["read_bytes"] + after["write_bytes"]
    assert after["seconds"] == estimate.STARTUP_SECONDS + moved / after["throughput"]
    assert "measured by run here" in plan(config).stdout
