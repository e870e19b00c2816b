"""The named modules of multi-module models (vision-language models), as mergekit names them.

mergekit 0.1.5 splits some architectures into modules, each with its own layer stack, and
a config's `modules:` merges each on its own (`text_decoder: {slices: ...}`,
`vision_tower: {models: ...}`). What mergelint needs from mergekit's tables is only what
the config language depends on: each module's name, the prefix of its weights, and where
config.json counts its layers. The layout inside a module (the stack, the weights before
and after it) is read from the tensors, as for any model (arch.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .arch import Layout, infer_layout


@dataclass(frozen=True)
class ModuleSpec:
    name: str
    prefix: str  # every weight of the module starts with it
    layers_key: str | None  # dotted config.json key of its layer count; None: no layers


def _vlm(vision: str, vision_prefix: str) -> tuple[ModuleSpec, ...]:
    return (
        ModuleSpec("text_decoder", "language_model.", "text_config.num_hidden_layers"),
        ModuleSpec("multi_modal_projector", "multi_modal_projector.", None),
        ModuleSpec(vision, vision_prefix, "vision_config.num_hidden_layers"),
    )


# config.json model_type -> modules, in mergekit 0.1.5's order
MODULAR: dict[str, tuple[ModuleSpec, ...]] = {
    "mistral3": _vlm("vision_tower", "vision_tower."),
    "gemma3": _vlm("vision_tower", "vision_tower.vision_model."),
    "llama4": _vlm("vision_model", "vision_model."),
}


def modules_of(config: dict) -> tuple[ModuleSpec, ...] | None:
    return MODULAR.get(config.get("model_type"))


def module_layout(config: dict, shapes: dict[str, tuple[int, ...]], spec: ModuleSpec) -> Layout:
    """The layout of one module: its tensors only, its part of config.json."""
    section = config
    if spec.layers_key and "." in spec.layers_key:
        section = config.get(spec.layers_key.rsplit(".", 1)[0]) or {}
    elif spec.layers_key is None:
        section = {}
    mine = {name: shape for name, shape in shapes.items() if name.startswith(spec.prefix)}
    layout = infer_layout(section, mine)
    layout.layer_key = spec.layers_key
    if spec.layers_key is None:  # a module without layers (a projector): all of it comes first
        layout.pre, layout.post = sorted(layout.pre + layout.post), []
    return layout
