"""mergekit-multi streams run by `mergelint run`: the same tensors as mergekit-multi 0.1.5, stages
in dependency order, the lazy skip of complete and current stages, bad streams refused early."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from conftest import compare
from merge_core.output_dir import MARKER
from mergelint.cli import main


def two_stage(zoo) -> str:
    return f"""\
name: blend
merge_method: linear
dtype: float32
models:
  - model: {zoo.a}
    parameters: {{weight: 0.7}}
  - model: {zoo.b}
    parameters: {{weight: 0.3}}
---
merge_method: slerp
dtype: float32
base_model: blend
models:
  - model: blend
  - model: {zoo.c}
parameters:
  t: [0, 0.5, 1]
"""


def three_stage(zoo) -> str:
    # the final merge is written first: the order comes from the references, not the file
    return f"""\
merge_method: ties
dtype: float32
base_model: second
models:
  - model: second
  - model: {zoo.d}
    parameters: {{weight: 0.5, density: 0.5}}
---
name: second
merge_method: task_arithmetic
dtype: float32
base_model: first
models:
  - model: {zoo.c}
    parameters: {{weight: 0.4}}
---
name: first
merge_method: linear
dtype: float32
models:
  - model: {zoo.a}
    parameters: {{weight: 1.0}}
  - model: {zoo.b}
    parameters: {{weight: 1.0}}
"""


def mergekit_multi(tmp_path, text: str, name: str = "mk") -> str:
    from mergekit.scripts.multimerge import main as multi

    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    out = tmp_path / name
    result = CliRunner().invoke(multi, [str(path), "--intermediate-dir", str(tmp_path / f"{name}-stages"),
                                        "--out-path", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return str(out)


def mergelint_run(tmp_path, text: str, *args, name: str = "ml"):
    path = tmp_path / f"{name}.yml"
    path.write_text(text)
    return CliRunner().invoke(main, ["run", str(path), *map(str, args)])


def tokenizer_from_stage(zoo) -> str:
    return two_stage(zoo) + "tokenizer_source: blend\n"


@pytest.mark.parametrize("stream", [two_stage, three_stage, tokenizer_from_stage])
def test_final_output_equals_mergekit_multi(zoo, tmp_path, monkeypatch, stream):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    theirs = mergekit_multi(tmp_path, stream(zoo))
    result = mergelint_run(tmp_path, stream(zoo), tmp_path / "ml", "--intermediate-dir", tmp_path / "ml-stages")
    assert result.exit_code == 0, result.output
    compare(str(tmp_path / "ml"), theirs)


def test_complete_stages_are_skipped_and_stale_ones_merged_again(zoo, tmp_path):
    stages, out = tmp_path / "stages", tmp_path / "out"
    first = mergelint_run(tmp_path, two_stage(zoo), out, "-I", stages)
    assert first.exit_code == 0, first.output
    assert "stage 'blend': merging into" in first.output and "(not merged yet)" in first.output
    again = mergelint_run(tmp_path, two_stage(zoo), out, "-I", stages, "--force")
    assert again.exit_code == 0, again.output
    assert "stage 'blend': up to date" in again.output and "the final merge: up to date" in again.output
    changed = two_stage(zoo).replace("weight: 0.7", "weight: 0.6")
    stale = mergelint_run(tmp_path, changed, out, "-I", stages, "--force")
    assert stale.exit_code == 0, stale.output
    assert "stage 'blend': merging into" in stale.output and "another config" in stale.output
    os.unlink(stages / "blend" / "model.safetensors")  # an incomplete stage output
    broken = mergelint_run(tmp_path, changed, out, "-I", stages, "--force")
    assert broken.exit_code == 0, broken.output
    assert "no complete mergelint output" in broken.output
    assert json.loads((stages / "blend" / MARKER).read_text())["state"] == "complete"


def test_a_stage_folder_mergelint_did_not_write_is_refused(zoo, tmp_path):
    stages = tmp_path / "stages"
    (stages / "blend").mkdir(parents=True)
    (stages / "blend" / "notes.txt").write_text("mine")
    result = mergelint_run(tmp_path, two_stage(zoo), tmp_path / "out", "-I", stages)
    assert result.exit_code == 2, result.output
    assert (stages / "blend" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "out").exists()


def test_without_a_final_merge_out_may_be_omitted(zoo, tmp_path):
    text = two_stage(zoo).split("---")[0]
    result = mergelint_run(tmp_path, text, "-I", tmp_path / "stages")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "stages" / "blend" / "config.json").is_file()
    given = mergelint_run(tmp_path, text, tmp_path / "out", "-I", tmp_path / "stages")
    assert given.exit_code == 0 and "is not written: the stream has no unnamed final merge" in given.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("edit, code, message", [
    (lambda t: t.replace("base_model: blend\n", "name: blend\nbase_model: blend\n"), 1, "duplicate-stage-name"),
    (lambda t: t.replace("name: blend\n", ""), 1, "multiple-final-merges"),
    (lambda t: t.replace("  - model: /", "  - model: blend\n    parameters: {weight: 0}\n  - model: /", 1), 1,
     "stage-cycle"),
])
def test_bad_streams_exit_before_anything_is_written(zoo, tmp_path, edit, code, message):
    result = mergelint_run(tmp_path, edit(two_stage(zoo)), tmp_path / "out", "-I", tmp_path / "stages")
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not (tmp_path / "stages").exists() and not (tmp_path / "out").exists()


def test_usage_errors(zoo, tmp_path):
    no_dir = mergelint_run(tmp_path, two_stage(zoo), tmp_path / "out")
    assert no_dir.exit_code == 2 and "--intermediate-dir" in no_dir.output
    no_out = mergelint_run(tmp_path, two_stage(zoo), "-I", tmp_path / "stages")
    assert no_out.exit_code == 2 and "OUT is required" in no_out.output
    assert not (tmp_path / "stages").exists()


def test_plan_shows_every_stage(zoo, tmp_path):
    path = tmp_path / "multi.yml"
    path.write_text(two_stage(zoo))
    result = CliRunner().invoke(main, ["plan", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    stages = json.loads(result.stdout)["stages"]
    assert [s["name"] for s in stages] == ["blend", None]
    assert stages[0]["plan"]["tensors"] and stages[1]["plan"] is None and "not merged yet" in stages[1]["why"]


LINEAR = "merge_method: linear\nmodels:\n  - model: {a}\n    parameters: {{weight: 1}}\n  - model: {b}\n    parameters: {{weight: 1}}\n"
STREAMS = [
    ["name: s1\n" + LINEAR.format(a="a", b="b"), LINEAR.format(a="s1", b="b") + "tokenizer_source: s1\n"],
    ["name: s1\n" + LINEAR.format(a="a", b="b"), LINEAR.format(a="{model: s1, lora: x}", b="b")],
    ["name: s1\n" + LINEAR.format(a="a", b="b"), LINEAR.format(a="a+s1", b="s1@main+x")],
    ["name: s1\n" + LINEAR.format(a="a", b="b"),
     LINEAR.format(a="{model: s1, override_architecture: LlamaForCausalLM}", b="b")],
    ["name: s1\n" + LINEAR.format(a="a", b="b"),
     LINEAR.format(a="a", b="b") + "tokenizer:\n  source: s1\n  tokens:\n    x:\n      source: s1\n"],
    ["name: s1\n" + LINEAR.format(a="a", b="b") + "unknown: s2\n", "name: s2\n" + LINEAR.format(a="s1", b="b"),
     LINEAR.format(a="s2", b="s1")],
]


@pytest.mark.parametrize("docs", STREAMS)
def test_needs_and_rewrites_are_mergekit_multis(docs):
    """What each stage reads, and the model paths after rewriting, as mergekit-multi's load_config has them."""
    import yaml
    from mergekit.scripts.multimerge import load_config

    from merge_core.config import parse_config
    from merge_core.multi.stages import rewritten, split

    text = "---\n".join(docs)
    configs, needs = load_config(text, "I")
    stages = split(list(yaml.safe_load_all(text)))
    assert {s.name: set(s.needs) for s in stages} == needs
    names = {s.name for s in stages if s.name is not None}
    for stage in stages:
        ours = parse_config(rewritten(stage, names, "I"))
        assert sorted(map(str, ours.referenced_models())) == sorted(map(str, configs[stage.name].referenced_models()))


def test_out_overlapping_a_stage_folder_is_refused_before_any_merge(zoo, tmp_path):
    stages = tmp_path / "stages"
    result = mergelint_run(tmp_path, two_stage(zoo), stages, "-I", stages)
    assert result.exit_code == 2 and "overlaps the folder of stage 'blend'" in result.output, result.output
    assert not stages.exists()


def test_dry_run_plans_each_stage_and_writes_nothing(zoo, tmp_path):
    result = mergelint_run(tmp_path, two_stage(zoo), tmp_path / "out", "-I", tmp_path / "stages", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "== stage 'blend'" in result.output and "reads 'blend', which is not merged yet" in result.output
    assert not (tmp_path / "stages").exists() and not (tmp_path / "out").exists()


def test_other_options_make_a_stage_stale(zoo, tmp_path):
    stages = tmp_path / "stages"
    text = two_stage(zoo).split("---")[0]
    assert mergelint_run(tmp_path, text, "-I", stages).exit_code == 0
    again = mergelint_run(tmp_path, text, "-I", stages, "--out-dtype", "bfloat16")
    assert again.exit_code == 0 and "other options" in again.output, again.output
