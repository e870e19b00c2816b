"""`mergelint run` verifies its output before publishing it: NaN or Inf refuses to publish
(unless --allow-nonfinite), and the summary line says "verified"."""

from __future__ import annotations

import math

from click.testing import CliRunner
from verify_support import edit_tensors

from mergelint.cli import main


def _config(tmp_path, a, b):
    path = tmp_path / "merge.yml"
    path.write_text(f"merge_method: task_arithmetic\nbase_model: {a}\nmodels:\n  - model: {b}\n"
                    "    parameters: {weight: 1.0}\n")
    return path


def test_nonfinite_output_is_not_published(healthy, broken, tmp_path):
    poisoned = broken()
    edit_tensors(poisoned, lambda t: t["model.layers.3.self_attn.v_proj.weight"].view(-1)[:4].fill_(math.inf))
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["run", str(_config(tmp_path, healthy.untied, poisoned)), str(out)])
    assert done.exit_code == 1, done.output
    assert "the merged model is not finite: model.layers.3.self_attn.v_proj.weight holds " in done.output
    assert "it was not published (--allow-nonfinite publishes it anyway)" in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["merge.yml", "untied-broken"]  # no OUT, no leftovers

    done = CliRunner().invoke(main, ["run", "--allow-nonfinite", str(_config(tmp_path, healthy.untied, poisoned)),
                                     str(out)])
    assert done.exit_code == 0, done.output
    assert f"{out / 'model.safetensors'}:1:1: error[nonfinite-values] model.layers.3.self_attn.v_proj.weight" \
        in done.output
    assert f"to {out}, verified (1 finding(s) above)" in done.output


def test_summary_says_verified(healthy, tmp_path):
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["run", str(_config(tmp_path, healthy.untied, healthy.bf16)), str(out)])
    assert done.exit_code == 0, done.output
    assert done.output.rstrip().endswith(f"in 1 shard(s) to {out}, verified")
