"""`modules:` on multi-module models: tiny Mistral3 and Llama 4 checkpoints (text decoder,
vision tower, projector), each module merged on its own, compared with mergekit 0.1.5
tensor for tensor and in config.json's per-module layer counts."""

import json
from pathlib import Path

import pytest

from conftest import _perturb, make_tokenizer


def make_mistral3(path: Path, seed: int) -> str:
    import torch
    from transformers import Mistral3Config, Mistral3ForConditionalGeneration, MistralConfig, PixtralVisionConfig

    text = MistralConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
                         num_key_value_heads=2, vocab_size=64, head_dim=8)
    vision = PixtralVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                 image_size=32, patch_size=8, head_dim=8)
    torch.manual_seed(seed)
    model = Mistral3ForConditionalGeneration(Mistral3Config(text_config=text, vision_config=vision,
                                                            image_token_index=10, spatial_merge_size=2))
    _perturb(model, seed)
    model.save_pretrained(path)
    make_tokenizer(path, 64)
    return str(path)


def make_llama4(path: Path, seed: int) -> str:
    import torch
    from transformers import Llama4Config, Llama4ForConditionalGeneration, Llama4TextConfig, Llama4VisionConfig

    text = Llama4TextConfig(hidden_size=32, intermediate_size=64, intermediate_size_mlp=64, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, vocab_size=64, head_dim=8,
                            num_local_experts=2, num_experts_per_tok=1, interleave_moe_layer_step=1)
    vision = Llama4VisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                image_size=32, patch_size=8, vision_output_dim=32, projector_input_dim=32,
                                projector_output_dim=32)
    torch.manual_seed(seed)
    model = Llama4ForConditionalGeneration(Llama4Config(text_config=text, vision_config=vision))
    _perturb(model, seed)
    model.save_pretrained(path)
    make_tokenizer(path, 64)
    return str(path)


@pytest.fixture(scope="module")
def vlm(tmp_path_factory):
    root = tmp_path_factory.mktemp("vlm")
    return make_mistral3(root / "a", 31), make_mistral3(root / "b", 32)


def layer_counts(folder: str) -> tuple[int, int]:
    config = json.loads(Path(folder, "config.json").read_text())
    return config["text_config"]["num_hidden_layers"], config["vision_config"]["num_hidden_layers"]


def test_module_slices_and_models(vlm, run_mergekit, run_mergelint, same_as):
    a, b = vlm
    config = f"""merge_method: passthrough
dtype: float32
modules:
  text_decoder:
    slices:
      - sources: [{{model: {a}, layer_range: [0, 3]}}]
      - sources: [{{model: {b}, layer_range: [1, 3]}}]
  vision_tower:
    slices:
      - sources: [{{model: {b}, layer_range: [1, 2]}}]
  multi_modal_projector:
    models: [{{model: {b}}}]
"""
    ours, theirs = run_mergelint(config), run_mergekit(config)
    same_as(ours, theirs)
    assert layer_counts(ours) == layer_counts(theirs) == (5, 1)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_module_parameters_and_gradients(vlm, parity, dtype):
    a, b = vlm
    parity(f"""merge_method: linear
dtype: {dtype}
parameters: {{weight: 1.0}}
modules:
  text_decoder:
    models:
      - {{model: {a}, parameters: {{weight: 0.7}}}}
      - {{model: {b}, parameters: {{weight: 0.3}}}}
  vision_tower:
    models: [{{model: {a}}}, {{model: {b}}}]
    parameters: {{weight: [0.2, 0.9]}}
  multi_modal_projector:
    models: [{{model: {a}}}, {{model: {b}}}]
    parameters: {{weight: 0.5}}
""")


def test_slerp_per_module_with_a_base(vlm, parity):
    a, b = vlm
    parity(f"""merge_method: slerp
base_model: {a}
dtype: float32
parameters: {{t: 0.25}}
modules:
  text_decoder:
    slices:
      - sources: [{{model: {a}, layer_range: [0, 3]}}, {{model: {b}, layer_range: [0, 3]}}]
        parameters: {{t: [0, 1]}}
  vision_tower:
    models: [{{model: {a}}}, {{model: {b}}}]
  multi_modal_projector:
    models: [{{model: {a}}}, {{model: {b}}}]
""")


def test_llama4_modules(tmp_path_factory, run_mergekit, run_mergelint, same_as):
    """Llama 4's vision module is `vision_model` and its text decoder has MoE experts."""
    root = tmp_path_factory.mktemp("llama4")
    a, b = make_llama4(root / "a", 41), make_llama4(root / "b", 42)
    config = f"""merge_method: linear
dtype: float32
modules:
  text_decoder:
    slices:
      - sources:
          - {{model: {a}, layer_range: [0, 2], parameters: {{weight: 0.3}}}}
          - {{model: {b}, layer_range: [0, 2], parameters: {{weight: 0.7}}}}
  vision_model:
    models: [{{model: {a}}}, {{model: {b}}}]
    parameters: {{weight: [0.1, 0.9]}}
  multi_modal_projector:
    models: [{{model: {a}}}, {{model: {b}}}]
    parameters: {{weight: 0.5}}
"""
    ours, theirs = run_mergelint(config), run_mergekit(config)
    same_as(ours, theirs)
    assert layer_counts(ours) == layer_counts(theirs) == (2, 2)


def test_seeded_random_method_draws_in_mergekits_order(vlm, parity):
    a, b = vlm
    parity(f"""merge_method: dare_ties
base_model: {a}
dtype: bfloat16
parameters: {{density: 0.6, weight: 0.5}}
modules:
  text_decoder:
    models: [{{model: {b}}}]
  vision_tower:
    models: [{{model: {b}}}]
  multi_modal_projector:
    models: [{{model: {b}}}]
""", seed=11)


def test_a_module_left_out_is_left_out(vlm, parity):
    _, b = vlm
    ours, _ = parity(f"""merge_method: passthrough
dtype: float32
modules:
  text_decoder:
    models: [{{model: {b}}}]
""")
    assert ours and all(name.startswith("language_model.") for name in ours)


def test_module_names_are_checked(vlm, zoo, run_mergelint):
    from merge_core.errors import ConfigError

    a, _ = vlm
    with pytest.raises(ConfigError, match="no module 'vision'.*text_decoder, multi_modal_projector, vision_tower"):
        run_mergelint(f"merge_method: passthrough\nmodules:\n  vision:\n    models: [{{model: {a}}}]\n")
    with pytest.raises(ConfigError, match="single-module model.*models:"):
        run_mergelint(f"merge_method: passthrough\nmodules:\n  text_decoder:\n    models: [{{model: {zoo.a}}}]\n")


def test_a_module_without_its_weights_is_an_error(vlm, tmp_path, run_mergelint):
    """A checkpoint that names a module's weights otherwise (here: renamed) is refused, not
    merged without them."""
    import shutil

    from safetensors.torch import load_file, save_file

    from merge_core.errors import ModelError

    a, _ = vlm
    renamed = tmp_path / "renamed"
    shutil.copytree(a, renamed)
    tensors = load_file(str(renamed / "model.safetensors"))
    save_file({k.replace("vision_tower.", "vision.", 1): v for k, v in tensors.items()},
              str(renamed / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(ModelError, match=r"modules.vision_tower: .*renamed has no tensors named vision_tower\.\*"):
        run_mergelint(f"merge_method: passthrough\nmodules:\n  vision_tower:\n    models: [{{model: {renamed}}}]\n")
