"""Parity with mergekit 0.1.5 beyond the math: LoRA inputs, slices, gradients, filters, dtypes."""

import json
import os

import pytest


def lines(*rows):
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_lora_passthrough(zoo, parity, dtype):
    parity(lines("merge_method: passthrough", f"dtype: {dtype}", "models:", f"  - model: {zoo.a}+{zoo.lora_a}"))


def test_lora_rslora_patterns_embedding_and_modules_to_save(zoo, parity):
    parity(lines("merge_method: passthrough", "models:", f"  - model: {zoo.a}+{zoo.lora_rs}"))


def test_lora_on_a_bf16_checkpoint(zoo, parity):
    parity(lines("merge_method: passthrough", "models:", f"  - model: {zoo.a_bf16}+{zoo.lora_a}"))


def test_lora_fan_in_fan_out_conv1d(zoo, parity):
    parity(lines("merge_method: passthrough", "models:", f"  - model: {zoo.gpt2}+{zoo.lora_gpt2}"))


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_lora_inputs_in_a_ties_merge(zoo, parity, dtype):
    parity(lines(
        "merge_method: ties", f"dtype: {dtype}", f"base_model: {zoo.c}", "parameters: {density: 0.5}",
        "models:",
        f"  - model: {zoo.a}+{zoo.lora_a}", "    parameters: {weight: 0.7}",
        f"  - model: {zoo.b}", "    parameters: {weight: 0.5}",
    ), mergekit_sort=True)


def test_frankenmerge_slices_renumber_layers(zoo, parity, run_mergelint):
    config = lines(
        "merge_method: passthrough", "dtype: bfloat16", "slices:",
        f"  - sources: [{{model: {zoo.a}, layer_range: [0, 3]}}]",
        f"  - sources: [{{model: {zoo.b}, layer_range: [1, 4]}}]",
        f"  - sources: [{{model: {zoo.a}, layer_range: [2, 4]}}]",
    )
    ours, _ = parity(config)
    assert "model.layers.7.mlp.up_proj.weight" in ours and "model.layers.8.mlp.up_proj.weight" not in ours
    out = run_mergelint(config, name="again")
    with open(os.path.join(out, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["num_hidden_layers"] == 8 and cfg["dtype"] == "bfloat16"


def test_gradients_restart_per_slice_with_filters(zoo, parity):
    parity(lines(
        "merge_method: slerp", f"base_model: {zoo.a}", "slices:",
        f"  - sources: [{{model: {zoo.a}, layer_range: [0, 2]}}, {{model: {zoo.b}, layer_range: [0, 2]}}]",
        f"  - sources: [{{model: {zoo.a}, layer_range: [2, 4]}}, {{model: {zoo.b}, layer_range: [2, 4]}}]",
        "    parameters:",
        "      t: [{filter: self_attn, value: [1, 0.2]}, {value: 0.9}]",
        "parameters:",
        "  t:",
        "    - filter: self_attn",
        "      value: [0, 0.5, 0.3, 0.7, 1]",
        "    - filter: mlp",
        "      value: [1, 0.5, 0.7, 0.3, 0]",
        "    - value: 0.5",
    ))


def test_per_model_filters_and_gradients_in_ties(zoo, parity):
    parity(lines(
        "merge_method: ties", f"base_model: {zoo.c}", "dtype: float32",
        "parameters: {normalize: true, int8_mask: true}",
        "models:",
        f"  - model: {zoo.a}",
        "    parameters:",
        "      density: [1, 0.7, 0.1]",
        "      weight: [{filter: mlp, value: 0.5}, {value: 0}]",
        f"  - model: {zoo.b}",
        "    parameters:",
        "      density: 0.5",
        "      weight: [0, 0.3, 0.7, 1]",
        f"  - model: {zoo.d}",
        "    parameters: {density: 0.3, weight: \"1e-1\"}",
    ))


def test_slice_base_model_and_slice_parameters(zoo, parity):
    parity(lines(
        "merge_method: task_arithmetic", f"base_model: {zoo.c}", "parameters: {weight: 0.25}", "slices:",
        "  - sources:",
        f"      - {{model: {zoo.a}, layer_range: [0, 4]}}",
        f"      - {{model: {zoo.b}, layer_range: [0, 4], parameters: {{weight: 0.5}}}}",
        f"      - {{model: {zoo.d}, layer_range: [0, 4]}}",
        f"    base_model: {zoo.d}",
        "    parameters: {lambda: 0.5}",
    ))


def test_mixed_dtypes_promote(zoo, parity):
    # no `dtype`: a bf16 and a float32 checkpoint merge (and are saved) in float32
    ours, _ = parity(lines(
        "merge_method: linear", "models:",
        f"  - {{model: {zoo.a_bf16}, parameters: {{weight: 0.3}}}}",
        f"  - {{model: {zoo.b}, parameters: {{weight: 0.7}}}}",
    ))
    assert str(next(iter(ours.values())).dtype) == "torch.float32"


def test_out_dtype(zoo, parity):
    parity(lines(
        "merge_method: multislerp", "dtype: float32", "out_dtype: bfloat16", "models:",
        f"  - {{model: {zoo.a}, parameters: {{weight: 1}}}}",
        f"  - {{model: {zoo.b}, parameters: {{weight: 2}}}}",
        f"  - {{model: {zoo.d}, parameters: {{weight: 0.5}}}}",
    ))


def test_tied_embeddings_model_lends_its_embedding_as_output_head(zoo, parity):
    parity(lines(
        "merge_method: linear", "models:",
        f"  - {{model: {zoo.a}, parameters: {{weight: 0.5}}}}",
        f"  - {{model: {zoo.tied}, parameters: {{weight: 0.5}}}}",
    ))


def test_karcher_averages_an_auto_added_base(zoo, parity):
    parity(lines(
        "merge_method: karcher", f"base_model: {zoo.d}", "models:", f"  - model: {zoo.a}", f"  - model: {zoo.b}",
    ))


def test_output_folder_matches_mergekits_files(zoo, run_mergekit, run_mergelint):
    config = lines("merge_method: linear", f"base_model: {zoo.a}", "models:",
                   f"  - {{model: {zoo.a}, parameters: {{weight: 1}}}}",
                   f"  - {{model: {zoo.b}, parameters: {{weight: 1}}}}")
    theirs, ours = run_mergekit(config), run_mergelint(config)
    assert {"config.json", "tokenizer.json", "tokenizer_config.json", "mergekit_config.yml", "README.md",
            "model.safetensors", "generation_config.json"} <= set(os.listdir(ours))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(ours, name)) as f, open(os.path.join(theirs, name)) as g:
            assert f.read() == g.read()
    with open(os.path.join(ours, "config.json")) as f, open(os.path.join(theirs, "config.json")) as g:
        a, b = json.load(f), json.load(g)
    a.pop("transformers_version", None), b.pop("transformers_version", None)
    assert a == b
    with open(os.path.join(ours, "mergekit_config.yml")) as f:
        assert f.read() == config
