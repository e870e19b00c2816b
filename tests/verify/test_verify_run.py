"""`mergelint run` verifies its output before publishing it: NaN or Inf refuses to publish
(unless --allow-nonfinite), and the summary line says "verified"."""

from __future__ import annotations

import math
import shutil

from click.testing import CliRunner
from verify_support import edit_tensors

from merge_core.verify import verify
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


def test_run_checks_what_it_merged_without_reading_the_output_again(healthy, broken, tmp_path):
    from merge_core.run import Options, run_merge
    from merge_core.verify import verify

    poisoned = broken()
    edit_tensors(poisoned, lambda t: t["model.layers.1.mlp.down_proj.weight"].view(-1)[:3].fill_(math.nan))
    config = _config(tmp_path, healthy.untied, poisoned).read_text()
    result = run_merge(config, str(tmp_path / "out"), Options(allow_nonfinite=True))
    assert result.verification.bytes_read == 0  # measured as merged: no tensor of the output was read back
    again = verify(str(tmp_path / "out"))  # verify DIR reads them: the same check modules, the same findings
    assert again.bytes_read > 0
    assert [(f.check.name, f.file, f.message) for f in result.verification.findings] == \
        [(f.check.name, f.file, f.message) for f in again.findings]
    assert [f.check.name for f in again.findings] == ["nonfinite-values"]
    assert "model.layers.1.mlp.down_proj.weight holds 3 NaN of " in again.findings[0].message


def test_fp16_overflow_is_found_before_the_cast(healthy, broken, tmp_path):
    big = broken()
    edit_tensors(big, lambda t: t["model.layers.2.self_attn.o_proj.weight"].view(-1)[:5].fill_(40000.0))
    config = tmp_path / "merge.yml"
    config.write_text(f"merge_method: linear\nmodels:\n  - model: {big}\n    parameters: {{weight: 2.0}}\n"
                      f"  - model: {healthy.untied}\n    parameters: {{weight: 1.0}}\nparameters: {{normalize: false}}\n"
                      "dtype: float32\nout_dtype: float16\n")
    done = CliRunner().invoke(main, ["run", str(config), str(tmp_path / "out")])
    assert done.exit_code == 1, done.output
    assert "model.layers.2.self_attn.o_proj.weight holds 5 +Inf of " in done.output
    assert ("model.layers.2.self_attn.o_proj.weight: 5 of 1024 values of the merged float32 result were past the "
            "range of the output dtype float16 before the cast, which made them Inf") in done.output

    config.write_text(config.read_text().replace("float16", "bfloat16"))  # the same merge, saved in range
    done = CliRunner().invoke(main, ["run", str(config), str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert "nonfinite-values" not in done.output and "dtype-overflow" not in done.output
    assert "warning[norm-outlier] model.layers.2.self_attn.o_proj.weight" in done.output  # still a huge norm


def test_verify_dir_finds_the_overflow_from_the_inputs_its_config_names(healthy, broken, tmp_path):
    """The same fp16 overflow, published with --allow-nonfinite: `verify DIR` merges the Inf tensor
    again from the inputs of the output's mergekit_config.yml and counts what run counted."""
    big = broken()
    edit_tensors(big, lambda t: t["model.layers.2.self_attn.o_proj.weight"].view(-1)[:5].fill_(40000.0))
    config = tmp_path / "merge.yml"
    config.write_text(f"merge_method: linear\nmodels:\n  - model: {big}\n    parameters: {{weight: 2.0}}\n"
                      f"  - model: {healthy.untied}\n    parameters: {{weight: 1.0}}\nparameters: {{normalize: false}}\n"
                      "dtype: float32\n")  # no out_dtype: --out-dtype on the command line, not in the saved config
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["run", str(config), str(out), "--out-dtype", "float16", "--allow-nonfinite"])
    assert done.exit_code == 0, done.output
    overflow = [f for f in verify(str(out)).findings if f.check.name == "dtype-overflow"]
    assert [f.message.split(":")[0] for f in overflow] == ["model.layers.2.self_attn.o_proj.weight"]
    assert "5 of 1024 values of the merged float32 result were past the range of the output dtype float16" \
        in overflow[0].message
    # Without the inputs the Inf is all that can be said
    shutil.rmtree(big)
    names = [f.check.name for f in verify(str(out)).findings]
    assert "nonfinite-values" in names and "dtype-overflow" not in names
