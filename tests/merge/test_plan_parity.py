"""`mergelint plan` against mergekit 0.1.5's own planner, tensor for tensor.

mergekit's MergePlanner is driven as its run_merge drives it (architecture, loader cache, output
config), stopped before execution; each planned task names its output tensor, the input tensor
of each model, and the parameters the method will receive: the global ones and each model's,
after gradients, filters, slice overrides and defaults. mergelint's JSON report must list the
same tensors with the same sources and the same parameters (same keys, same values).
"""

from __future__ import annotations

import pytest
import yaml

pytest.importorskip("mergekit")


def mergekit_plan(text: str, tmp_path) -> dict:
    from mergekit.architecture import get_architecture_info
    from mergekit.config import MergeConfiguration
    from mergekit.io.tasks import LoaderCache
    from mergekit.merge import _model_out_config
    from mergekit.options import MergeOptions
    from mergekit.plan import MergePlanner

    cfg = MergeConfiguration.model_validate(yaml.safe_load(text))
    options = MergeOptions(lora_merge_cache=str(tmp_path / "lora_cache"), quiet=True)
    arch = get_architecture_info(cfg, options)
    LoaderCache().setup(options=options)
    planner = MergePlanner(cfg, arch, options, _model_out_config(cfg, arch))
    planner._plan()
    out = {}
    for weight, task in planner._tensors:
        gather = getattr(task.gather_tensors, "gather_tensors", task.gather_tensors)  # a vocabulary wrapper
        indexes = {m: LoaderCache().get(m).index.tensor_paths for m in task.model_order}
        out[weight.name] = {
            "sources": [(str(m), read) for m, w in gather.weight_info.items()
                        if (read := _read_name(w, indexes[m])) is not None],
            "parameters": dict(task.parameters),
            "model_parameters": {str(m): dict(p) for m, p in task.input_parameters.items()},
        }
    return out


def _read_name(weight, index) -> str | None:
    """The tensor mergekit's loader reads for `weight` (its name, an alias, a tied name), None when the
    model lacks it (an optional weight: mergekit gathers only the inputs that have it)."""
    for name in [weight.name, *(weight.aliases or ()), *(weight.tied_names or ())]:
        if name in index:
            return name
    return None


def mergelint_plan(text: str) -> dict:
    from merge_core.plan_report import make
    from merge_core.run import Options

    report = make(text, Options())
    assert not report.missing
    return {e["name"]: {"sources": [(s["model"], s["tensor"]) for s in e["sources"]],
                        "parameters": e["parameters"], "model_parameters": e["model_parameters"]}
            for e in report.tensors}


def assert_same_plan(text: str, tmp_path) -> dict:
    theirs, ours = mergekit_plan(text, tmp_path), mergelint_plan(text)
    assert sorted(ours) == sorted(theirs)
    for name, want in theirs.items():
        got = ours[name]
        assert sorted(got["sources"]) == sorted(want["sources"]), name
        assert got["parameters"] == want["parameters"], name
        assert _typed(got["parameters"]) == _typed(want["parameters"]), name
        present = {m for m, _ in want["sources"]}
        want_models = {m: p for m, p in want["model_parameters"].items() if m in present}
        assert got["model_parameters"] == want_models, name
        assert _typed(got["model_parameters"]) == _typed(want_models), name
    return ours


def _typed(value):
    """Values with their types, so 1 and 1.0 or True and 1 do not pass for each other."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    return (type(value).__name__, value)


def test_gradients_and_filters(zoo, tmp_path):
    text = f"""
merge_method: slerp
base_model: {zoo.a}
slices:
  - sources: [{{model: {zoo.a}, layer_range: [0, 4]}}, {{model: {zoo.b}, layer_range: [0, 4]}}]
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
dtype: float32
"""
    ours = assert_same_plan(text, tmp_path)
    # the gradient really is interpolated per layer and the filter picks by name
    assert ours["model.layers.1.self_attn.q_proj.weight"]["parameters"]["t"] != \
        ours["model.layers.1.mlp.up_proj.weight"]["parameters"]["t"]


def test_per_model_gradients_defaults_and_base(zoo, tmp_path):
    text = f"""
merge_method: ties
base_model: {zoo.a}
models:
  - model: {zoo.b}
    parameters:
      density: [1, 0.7, 0.1]
      weight: [{{filter: mlp, value: 0.9}}, {{value: 0.3}}]
  - model: {zoo.c}
    parameters:
      density: 0.5
      weight: [0, 1]
parameters:
  normalize: false
"""
    assert_same_plan(text, tmp_path)


def test_slice_level_parameters_override_the_top_level(zoo, tmp_path):
    text = f"""
merge_method: dare_ties
base_model: {zoo.a}
slices:
  - sources:
      - model: {zoo.a}
        layer_range: [0, 2]
      - model: {zoo.b}
        layer_range: [0, 2]
        parameters: {{density: 0.3, weight: [0.2, 0.8]}}
    parameters:
      weight: 0.4
  - sources:
      - model: {zoo.a}
        layer_range: [2, 4]
      - model: {zoo.b}
        layer_range: [2, 4]
    parameters:
      density: [{{filter: self_attn, value: 0.9}}, {{value: 0.6}}]
      weight: [1, 0]
      lambda: 0.8
parameters:
  rescale: false
  weight: 0.5
"""
    assert_same_plan(text, tmp_path)


def test_frankenmerge_repeats_and_skips_layers(zoo, tmp_path):
    text = f"""
merge_method: passthrough
slices:
  - sources: [{{model: {zoo.a}, layer_range: [0, 3]}}]
  - sources: [{{model: {zoo.b}, layer_range: [1, 4]}}]
  - sources: [{{model: {zoo.a}, layer_range: [3, 4]}}]
  - sources:
      - model: {zoo.c}
        layer_range: [2, 3]
        parameters: {{scale: [{{filter: o_proj, value: 0.0}}, {{value: 1.0}}]}}
"""
    ours = assert_same_plan(text, tmp_path)
    assert ours["model.layers.3.self_attn.q_proj.weight"]["sources"] == [
        (zoo.b, "model.layers.1.self_attn.q_proj.weight")]
    assert len([n for n in ours if n.endswith(".input_layernorm.weight")]) == 8


def test_base_plus_lora(zoo, tmp_path):
    text = f"""
merge_method: linear
models:
  - model: {zoo.a}+{zoo.lora_a}
    parameters: {{weight: 0.7}}
  - model: {zoo.b}
    parameters: {{weight: 0.3}}
"""
    assert_same_plan(text, tmp_path)


def test_tied_head_and_tokenizer_source(zoo, tok_zoo, tmp_path):
    assert_same_plan(f"""
merge_method: task_arithmetic
base_model: {zoo.a}
models:
  - model: {zoo.tied}
    parameters: {{weight: [{{filter: lm_head, value: 0.25}}, {{value: 1}}]}}
  - model: {zoo.b}
    parameters: {{weight: 0.5}}
""", tmp_path)
    assert_same_plan(f"""
merge_method: linear
base_model: {tok_zoo.base}
tokenizer_source: union
models:
  - model: {tok_zoo.base}
    parameters: {{weight: 0.5}}
  - model: {tok_zoo.chatml}
    parameters: {{weight: 0.5}}
""", tmp_path)
