"""`mergelint verify` as a user runs it: a real subprocess, its output formats and exit codes,
and bad input (no config.json, a truncated shard, a lying header, pickled weights, empty
files): a clear diagnostic and exit 2, never a traceback, nothing unpickled, nothing
allocated from a size a header claims."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest
from verify_support import edit_tensors, tiny_models

from merge_core.verify import verify


def cli(*args, cwd=None):
    env = {**os.environ, "MERGELINT_DEBUG": ""}
    return subprocess.run([sys.executable, "-m", "mergelint", "verify", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=cwd, env=env)


def invoke(*args):
    """The same command in this process (click's runner), for the format and exit-code details."""
    from click.testing import CliRunner

    from mergelint.cli import main

    return CliRunner().invoke(main, ["verify", *map(str, args)], catch_exceptions=False)


def test_clean_model_exits_0_and_says_verified(healthy):
    done = cli(healthy.merged)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("mergelint: verified ") and "no problem found" in done.stderr


def test_problems_exit_1_in_every_format(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t["model.layers.0.mlp.up_proj.weight"].view(-1)[:2].fill_(float("nan")))
    (folder / "config.json").write_text((folder / "config.json").read_text().replace('"vocab_size": 64', '"vocab_size": 65'))
    done = invoke("--format", "json", folder)
    assert done.exit_code == 1, done.output
    items = json.loads(done.stdout)
    by_rule = {d["rule"]: d for d in items}
    assert by_rule["nonfinite-values"]["path"] == str(folder / "model.safetensors")
    assert (by_rule["nonfinite-values"]["line"], by_rule["nonfinite-values"]["column"]) == (1, 1)
    assert by_rule["nonfinite-values"]["code"] == "MV101"
    # A finding about a config key points at that key's line in config.json.
    vocab = by_rule["vocab-size"]
    line = (folder / "config.json").read_text().splitlines()[vocab["line"] - 1]
    assert line[vocab["column"] - 1:vocab["end_column"] - 1] == '"vocab_size"'

    text = invoke(folder)
    assert text.exit_code == 1
    assert f"{folder / 'model.safetensors'}:1:1: error[nonfinite-values] model.layers.0.mlp.up_proj.weight holds 2 NaN" \
        in text.stdout
    assert f'| {line}' in text.stdout  # the config.json line, under the diagnostic

    sarif = json.loads(invoke("--format", "sarif", folder).stdout)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["name"] for r in rules} >= {"nonfinite-values", "vocab-size", "norm-outlier"}
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    github = invoke("--format", "github", folder).stdout
    assert "::error file=" in github and "title=nonfinite-values (MV101)" in github


def test_compare_option(healthy, broken):
    assert invoke("--compare", healthy.sharded, healthy.untied).exit_code == 0
    folder = broken()
    edit_tensors(folder, lambda t: t.pop("model.norm.weight"))
    done = invoke("--format", "json", "--compare", folder, healthy.untied)
    assert done.exit_code == 1
    assert {(d["rule"], d["code"]) for d in json.loads(done.stdout)} == {("differs-from-reference", "MV201")}


def test_warnings_fail_only_with_strict(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t["model.layers.1.self_attn.q_proj.weight"].mul_(20))
    done = invoke(folder)
    assert done.exit_code == 0
    assert done.stderr.rstrip().endswith(": 1 warning")
    assert invoke("--strict", folder).exit_code == 1


def _header(entries: dict, data: bytes) -> bytes:
    raw = json.dumps(entries).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _bad(broken, kind):
    folder = broken()
    weights = folder / "model.safetensors"
    if kind == "no-config":
        (folder / "config.json").unlink()
    elif kind == "empty-config":
        (folder / "config.json").write_bytes(b"")
    elif kind == "config-not-json":
        (folder / "config.json").write_text('{"num_hidden_layers": 4,')
    elif kind == "truncated":
        os.truncate(weights, weights.stat().st_size // 2)
    elif kind == "empty-weights":
        weights.write_bytes(b"")
    elif kind == "lying-header":  # the shape needs 4 KB, the offsets give 64 bytes
        weights.write_bytes(_header({"model.norm.weight": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 64]}},
                                    b"\0" * 64))
    elif kind == "terabyte-header":  # consistent with itself, not with the file
        entry = {"dtype": "F32", "shape": [500_000, 500_000], "data_offsets": [0, 1_000_000_000_000]}
        weights.write_bytes(_header({"model.embed_tokens.weight": entry}, b"\0" * 64))
    elif kind == "header-length":
        weights.write_bytes(struct.pack("<Q", 2**63) + b"{}")
    elif kind == "missing-shard":
        weights.unlink()
        (folder / "model.safetensors.index.json").write_text(json.dumps(
            {"metadata": {}, "weight_map": {"model.norm.weight": "model-00001-of-00001.safetensors"}}))
    elif kind == "pickle-only":
        weights.unlink()
        (folder / "pytorch_model.bin").write_bytes(tiny_models._hostile_pickle(str(folder / "unpickled.marker")))
    elif kind == "not-a-folder":
        return weights
    return folder


BAD = {
    "no-config": ("unreadable-model", "has no config.json: not a Hugging Face model folder"),
    "empty-config": ("unreadable-model", "config.json cannot be read: the file is empty (0 bytes)"),
    "config-not-json": ("unreadable-model", "config.json cannot be read: not valid JSON"),
    "truncated": ("unreadable-file", "truncated or corrupt"),
    "empty-weights": ("unreadable-file", "model.safetensors cannot be read: the file is empty (0 bytes)"),
    "lying-header": ("unreadable-file", "shape [1024] of F32 needs 4.1 KB but its data_offsets span 64 bytes"),
    "terabyte-header": ("unreadable-file", "claims 1.0 TB at offset 0 but the file holds only 64 bytes"),
    "header-length": ("unreadable-file", "truncated or not a safetensors file"),
    "missing-shard": ("unreadable-file", "model-00001-of-00001.safetensors (listed in model.safetensors.index.json): "
                                         "missing"),
    "pickle-only": ("unreadable-model", "holds only pickled weights (pytorch_model.bin), which mergelint never "
                                        "unpickles"),
    "not-a-folder": ("unreadable-model", "is not a folder: verify takes a model folder"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_input_is_a_diagnostic_not_a_traceback(broken, kind):
    folder = _bad(broken, kind)
    rule, text = BAD[kind]
    [finding] = verify(str(folder)).findings
    assert finding.check.name == rule and text in finding.message, finding.message
    assert not (folder.parent / "untied-broken" / "unpickled.marker").exists()


def test_bad_input_exits_2_through_the_cli(broken):
    folder = _bad(broken, "pickle-only")
    done = cli("--format", "json", folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [item] = json.loads(done.stdout)
    assert item["rule"] == "unreadable-model" and item["path"] == str(folder)
    assert not (folder / "unpickled.marker").exists()


def _pickled(broken_folder):
    """The folder's weights as pytorch_model.bin (torch.save of its state dict), in place."""
    import torch
    from safetensors.torch import load_file

    torch.save(load_file(str(broken_folder / "model.safetensors")), broken_folder / "pytorch_model.bin")
    (broken_folder / "model.safetensors").unlink()
    return broken_folder


def test_allow_pickle_reads_a_pickled_model_as_its_safetensors_twin(healthy, broken):
    folder = _pickled(broken())
    assert [f.check.name for f in verify(str(folder)).findings] == ["unreadable-model"]
    report = verify(str(folder), allow_pickle=True)
    twin = verify(str(healthy.untied))
    assert report.findings == [] and report.usable and report.tensors == twin.tensors
    assert report.bytes_read == twin.bytes_read
    # --compare reads both sides with the same loader, and a pickled NaN is found like any other
    done = cli("--allow-pickle", "--compare", healthy.untied, folder)
    assert done.returncode == 0, done.stderr + done.stdout
    import shutil

    import torch

    edit = shutil.copytree(folder, folder.parent / "edited")

    state = torch.load(edit / "pytorch_model.bin", weights_only=True)
    state["model.layers.1.self_attn.q_proj.weight"].view(-1)[:3] = float("inf")
    torch.save(state, edit / "pytorch_model.bin")
    done = cli("--allow-pickle", edit)
    assert done.returncode == 1 and "model.layers.1.self_attn.q_proj.weight holds 3" in done.stdout, done.stdout


def test_allow_pickle_never_runs_a_hostile_pickle(broken):
    folder = _bad(broken, "pickle-only")
    done = cli("--allow-pickle", folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "unreadable-file" in done.stdout and "cannot load with weights_only=True" in done.stdout, done.stdout
    assert not (folder / "unpickled.marker").exists()


def test_rules_verify_lists_the_checks_and_explain_prints_their_docs():
    from click.testing import CliRunner

    from merge_core.verify import CHECKS
    from mergelint.cli import main

    listed = CliRunner().invoke(main, ["rules", "--verify"]).output.splitlines()
    assert [line.split()[:3] for line in listed] == [[c.code, c.name, c.severity] for c in CHECKS]
    as_json = json.loads(CliRunner().invoke(main, ["rules", "--verify", "--format", "json"]).output)
    assert [r["code"] for r in as_json] == [c.code for c in CHECKS]
    for check in CHECKS:
        by_code, by_name = (CliRunner().invoke(main, ["explain", key]) for key in (check.code, check.name))
        assert by_code.exit_code == 0 and by_code.output == by_name.output
        assert by_code.output.startswith(f"# {check.name} ({check.code})\n\nDefault severity: {check.severity}. ")
        assert check.docs in by_code.output and "## Why is this bad?" in by_code.output
