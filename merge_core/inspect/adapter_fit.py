"""Does a LoRA adapter fit a base model? Compared from safetensors headers only.

PEFT saves an adapter's tensors as `base_model.model.<module>.lora_A.weight`
([r, in]) and `...lora_B.weight` ([out, r]); embeddings as `lora_embedding_A`
([r, rows]) and `lora_embedding_B` ([dim, r]); DoRA adds `lora_magnitude_vector`
([out]); `modules_to_save` are full copies under the module's own name. Loading
an adapter whose shapes do not fit the base fails in PEFT; adapter weights for
modules the base does not have are dropped without a word, unless no target
module matches at all, which PEFT refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .folder_facts import AdapterFacts, ModelFacts
from .safetensors import TensorInfo

PREFIX = "base_model.model."
_PARTS = (
    (".lora_A.weight", "A"),
    (".lora_B.weight", "B"),
    (".lora_embedding_A", "EA"),
    (".lora_embedding_B", "EB"),
    (".lora_magnitude_vector.weight", "M"),
    (".lora_magnitude_vector", "M"),
    (".base_layer.weight", "S"),
    (".base_layer.bias", None),
    (".lora_A.bias", None),
    (".lora_B.bias", None),
)
_SAVED_COPY = re.compile(r"\.modules_to_save\.[^.]+\.")


@dataclass
class LoraFit:
    conflicts: list[str] = field(default_factory=list)  # PEFT fails loading these
    missing: list[str] = field(default_factory=list)  # adapted modules the base lacks: silently dropped
    no_target_matches: list[str] | None = None  # target_modules of which none exists in the base
    compared: int = 0

    @property
    def fails(self) -> bool:
        return bool(self.conflicts) or self.no_target_matches is not None

    @property
    def fits(self) -> bool:
        return not self.fails and not self.missing


def _shape(info: TensorInfo) -> str:
    return "[" + ", ".join(map(str, info.shape)) + "]"


def adapter_modules(adapter: AdapterFacts) -> dict[str, dict[str, tuple[str, TensorInfo]]]:
    """module path -> {part: (tensor name, info)}; part "F" is a full saved tensor."""
    modules: dict[str, dict[str, tuple[str, TensorInfo]]] = {}
    for key, info in (adapter.tensors or {}).items():
        name = key[len(PREFIX):] if key.startswith(PREFIX) else key
        name = _SAVED_COPY.sub(".", name)
        for suffix, part in _PARTS:
            if name.endswith(suffix):
                if part is not None:
                    modules.setdefault(name[: -len(suffix)], {})[part] = (key, info)
                break
        else:
            modules.setdefault(name, {})["F"] = (key, info)
    return modules


def target_matches(target: list[str] | str, module_names: set[str]) -> list[str]:
    """The base modules PEFT would adapt for `target_modules` (a list of suffixes, or a regex)."""
    if isinstance(target, str):
        try:
            pattern = re.compile(target)
        except re.error:
            return []
        return [m for m in module_names if pattern.fullmatch(m)]
    return [m for m in module_names if any(m == t or m.endswith("." + t) for t in target)]


def lora_fit(base: ModelFacts, adapter: AdapterFacts) -> LoraFit | None:
    """How a LoRA adapter fits the base, or None when either side's tensors are unknown (or it is no LoRA)."""
    if base.tensors is None or adapter.tensors is None or adapter.peft_type != "LORA":
        return None
    hit = adapter.fits.get(id(base))
    if hit is not None and hit[0] is base:
        return hit[1]
    fit = _fit(base, adapter)
    adapter.fits[id(base)] = (base, fit)
    return fit


def _fit(base: ModelFacts, adapter: AdapterFacts) -> LoraFit:
    fit = LoraFit()
    tensors = base.tensors
    module_names = {n[: -len(".weight")] for n in tensors if n.endswith(".weight")}
    target = adapter.target_modules
    if target and not target_matches(target, module_names):
        fit.no_target_matches = [target] if isinstance(target, str) else sorted(target)
    for module, parts in sorted(adapter_modules(adapter).items(), key=lambda kv: _natural(kv[0])):
        if "F" in parts:
            key, info = parts["F"]
            own = tensors.get(module)
            if own is None:
                fit.missing.append(module)
            elif own.shape != info.shape:
                fit.conflicts.append(
                    f"{module}: the adapter saves a full copy of shape {_shape(info)} (modules_to_save), the base's is {_shape(own)}"
                )
            fit.compared += 1
            if len(parts) == 1:
                continue
        weight = tensors.get(f"{module}.weight")
        if weight is None:
            fit.missing.append(module)
            continue
        fit.compared += 1
        problem = _rank(module, parts, adapter) or _compare(module, parts, weight, adapter.fan_in_fan_out)
        if problem:
            fit.conflicts.append(problem)
    return fit


def _rank(module: str, parts: dict, adapter: AdapterFacts) -> str | None:
    """PEFT builds each module at the configured rank; weights of another rank do not load."""
    if adapter.rank is None or adapter.config.get("rank_pattern"):
        return None
    a = parts.get("A") or parts.get("EA")
    if a is not None and a[1].shape and a[1].shape[0] != adapter.rank:
        return f"{module}: rank {a[1].shape[0]} in the adapter's weights but r={adapter.rank} in adapter_config.json"
    return None


def _compare(module: str, parts: dict, weight: TensorInfo, fan_in_fan_out: bool) -> str | None:
    shape = weight.shape
    if "S" in parts and parts["S"][1].shape != shape:
        return f"{module}: the adapter saves the base layer as {_shape(parts['S'][1])}, the base's is {_shape(weight)}"
    if len(shape) != 2:
        return None  # convolutions and other layouts: not compared
    if "EA" in parts and "EB" in parts:
        a, b = parts["EA"][1].shape, parts["EB"][1].shape
        if len(a) == 2 and len(b) == 2 and (a[1] != shape[0] or b[0] != shape[1] or a[0] != b[1]):
            return (
                f"{module}: lora_embedding_A {_shape(parts['EA'][1])} and lora_embedding_B {_shape(parts['EB'][1])} "
                f"give a [{a[1]}, {b[0]}] delta, the base embedding is {_shape(weight)}"
            )
    out_w, in_w = (shape[1], shape[0]) if fan_in_fan_out else (shape[0], shape[1])
    if "EA" in parts:
        out_w = shape[1]  # an embedding's output is its row width
    if "A" in parts and "B" in parts:
        a, b = parts["A"][1].shape, parts["B"][1].shape
        if len(a) == 2 and len(b) == 2 and (a[1] != in_w or b[0] != out_w or a[0] != b[1]):
            return (
                f"{module}: lora_B {_shape(parts['B'][1])} × lora_A {_shape(parts['A'][1])} gives a "
                f"[{b[0]}, {a[1]}] delta, the base weight is {_shape(weight)}"
            )
    if "M" in parts:
        m = parts["M"][1].shape
        if m and m[0] != out_w:
            return f"{module}: the DoRA magnitude has {m[0]} entries, the base weight has {out_w} outputs"
    return None


def _natural(name: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]
