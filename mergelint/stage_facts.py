"""The model a stage of a mergekit-multi stream will produce, as facts, before it exists.

A later stage names an earlier one as a model; the model-aware rules then judge it by what
the earlier stage's plan says it writes: the donor's files (its `base_model`, else its first
model: mergekit-yaml copies that config.json), with the layer count its `slices:` make and
the layer tensors renumbered as they will be written. What a plan cannot know without the
weights is left out rather than guessed: a stage that builds a tokenizer has no vocabulary
facts (no vocab_size, no embedding or head tensors), a `modules:` stage keeps the donor's
layout, a quantized donor is written unquantized, and tensor dtypes stay the donor's.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from merge_core.inspect import ModelFacts, Resolution
from merge_core.inspect.folder_facts import EMBEDDING_SUFFIXES, LAYER_INDEX, LAYER_KEYS, NESTED_CONFIGS
from merge_core.references import ModelPath

from .config_view import ConfigView

STAGE = "stage"  # ModelFacts.where of a planned stage output
UNKNOWN = "stage-unknown"  # Resolution.status: a stage whose output cannot be planned (its models not found)
_VOCAB_KEYS = ("vocab_size", "padded_vocab_size")
_VOCAB_TENSORS = (*EMBEDDING_SUFFIXES, "lm_head.weight", "embed_out.weight", "output.weight")


def planned(facts, name: str, busy: set[str]) -> Resolution:
    """The Resolution of a reference to stage `name` (`facts` is the check's model_facts.Facts)."""
    mpath = ModelPath(name)
    stage = facts.stages.stage(name)
    if name in busy:
        return Resolution(mpath, UNKNOWN, message="the stages form a cycle")
    view = ConfigView(stage.root)
    donor = view.base or next((i.ref for g in view.groups for i in g.inputs if i.ref is not None), None)
    busy.add(name)
    try:
        source = facts.model(donor) if donor is not None else None
    finally:
        busy.discard(name)
    if source is None:
        return Resolution(mpath, UNKNOWN, message=f"the models of stage '{name}' are not known here")
    return Resolution(mpath, "ok", _output_facts(source, view, name))


def _output_facts(donor: ModelFacts, view: ConfigView, name: str) -> ModelFacts:
    config = copy.deepcopy({k: v for k, v in (donor.config or {}).items() if k != "quantization_config"})
    tensors = dict(donor.tensors) if donor.tensors is not None else None
    layers = _slice_layers(view)
    if layers is not None:
        for owner in [config, *(config[n] for n in NESTED_CONFIGS if isinstance(config.get(n), dict))]:
            for key in LAYER_KEYS:
                if isinstance(owner.get(key), int):
                    owner[key] = len(layers)
        if tensors is not None:
            tensors = _renumbered(tensors, layers)
    if any(n.value is not None for n in view.tokenizer_settings()):
        for key in _VOCAB_KEYS:
            config.pop(key, None)
        if tensors is not None:
            tensors = {k: v for k, v in tensors.items() if not k.endswith(_VOCAB_TENSORS)}
    return replace(donor, location=f"stage '{name}' (as planned)", where=STAGE, directory=None, commit=None,
                   config=config, tensors=tensors, adapter=None, problems=[])


def _slice_layers(view: ConfigView) -> list[int] | None:
    """The input layer each output layer is made from (the first source of each slice), or None
    when the stage keeps the donor's layers (`models:`) or a range is not written."""
    slices = [g for g in view.groups if g.kind == "slice" and not g.label.startswith("modules.")]
    if not slices:
        return None
    layers = []
    for group in slices:
        first = group.inputs[0] if group.inputs else None
        if first is None or first.layer_range is None:
            return None
        layers.extend(range(*first.layer_range))
    return layers


def _renumbered(tensors: dict, layers: list[int]) -> dict:
    """Layer tensors under their output numbers (one input layer may be written several times)."""
    by_input: dict[int, list[int]] = {}
    for out, src in enumerate(layers):
        by_input.setdefault(src, []).append(out)
    found = {}
    for tensor_name, info in tensors.items():
        match = LAYER_INDEX.search(tensor_name)
        if match is None:
            found[tensor_name] = info
            continue
        for out in by_input.get(int(match.group(1)), ()):
            found[f"{tensor_name[:match.start(1)]}{out}{tensor_name[match.end(1):]}"] = info
    return found
