"""LoRA adapters applied one tensor at a time, as PEFT's merge_and_unload would.

For a targeted linear weight W: W' = W + scale * (B @ A) (transposed with
fan_in_fan_out); for a targeted embedding: W' = W + scale * (B @ A)^T; scale is
lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora; rank_pattern and
alpha_pattern override r and alpha per module. Tensors the adapter saves whole
(modules_to_save, or `base_layer` copies of targeted embeddings) replace the
base's. The merged model is never built: each tensor is patched as it is read.

Dtypes follow PEFT: the factors are upcast to float32 (or to the weight's own
dtype when wider), the delta is computed there and W + delta is rounded once to
W's dtype.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .checkpoint import SafetensorsFile, TensorInfo, read_json
from .errors import ModelError
from .language import ADAPTER_CONFIG
from .method_kit.scratch import buffer, result

PREFIX = "base_model.model."


@dataclass
class Patch:
    """What the adapter does to one base tensor."""

    replace: TensorInfo | None = None  # a whole tensor saved by the adapter
    a: TensorInfo | None = None
    b: TensorInfo | None = None
    embedding: bool = False
    scale: float = 1.0
    fan_in_fan_out: bool = False
    bias: TensorInfo | None = None  # lora_B.bias (lora_bias=True): added as scale * bias

    @property
    def tensors(self) -> list[TensorInfo]:
        return [t for t in (self.replace, self.a, self.b, self.bias) if t is not None]


@dataclass
class Adapter:
    folder: str
    label: str
    config: dict
    patches: dict[str, Patch] = field(default_factory=dict)  # base tensor name -> patch
    file: SafetensorsFile | None = None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _pattern_value(patterns: dict, module: str, default):
    for key in sorted(patterns or {}, key=len, reverse=True):
        if re.match(rf"(.*\.)?({key})$", module):
            return patterns[key]
    return default


def load_adapter(folder: str, label: str, allow_pickle: bool = False) -> Adapter:
    import os

    cfg_path = os.path.join(folder, ADAPTER_CONFIG)
    if not os.path.exists(cfg_path):
        raise ModelError(f"{label}: no adapter_config.json in {folder}: not a PEFT adapter")
    config = read_json(cfg_path)
    peft_type = config.get("peft_type", "LORA")
    if str(peft_type).upper() != "LORA":
        raise ModelError(f"{label}: a {peft_type} adapter; only LoRA adapters can be applied")
    if config.get("use_dora"):
        raise ModelError(f"{label}: a DoRA adapter (use_dora: true); mergelint applies plain LoRA only")
    for key in ("layer_replication", "use_qalora", "alora_invocation_tokens", "trainable_token_indices"):
        if config.get(key):
            raise ModelError(f"{label}: adapter option {key} is not supported")
    weights = os.path.join(folder, "adapter_model.safetensors")
    if not os.path.exists(weights):
        if os.path.exists(os.path.join(folder, "adapter_model.bin")):
            raise ModelError(
                f"{label}: the adapter's weights are a pickle file (adapter_model.bin); convert it to "
                "safetensors (adapter_model.safetensors) first"
            )
        raise ModelError(f"{label}: no adapter_model.safetensors in {folder}")
    adapter = Adapter(folder, label, config)
    f = SafetensorsFile(weights)
    adapter.file = f

    r_default = config.get("r", 8)
    alpha_default = config.get("lora_alpha", 8)
    rslora = bool(config.get("use_rslora"))
    fifo = bool(config.get("fan_in_fan_out"))

    def patch(target: str) -> Patch:
        return adapter.patches.setdefault(target, Patch())

    factors: dict[str, dict[str, TensorInfo]] = {}
    for key, info in f.tensors.items():
        name = key[len(PREFIX):] if key.startswith(PREFIX) else key
        m = re.match(r"^(.*)\.(lora_A|lora_B)\.weight$", name) or re.match(
            r"^(.*)\.(lora_embedding_A|lora_embedding_B)$", name
        )
        if m:
            factors.setdefault(m.group(1), {})[m.group(2)] = info
            continue
        m = re.match(r"^(.*)\.lora_B\.bias$", name)
        if m:
            factors.setdefault(m.group(1), {})["bias"] = info
            continue
        if ".lora_" in name or name.endswith(("lora_magnitude_vector", ".lora_E")):
            raise ModelError(f"{label}: adapter tensor {key} is of a LoRA variant mergelint cannot apply")
        m = re.match(r"^(.*)\.base_layer\.(weight|bias)$", name)
        if m:
            name = f"{m.group(1)}.{m.group(2)}"
        name = re.sub(r"\.modules_to_save\.[^.]+\.", ".", name)
        patch(name).replace = info

    for module, parts in factors.items():
        embedding = "lora_embedding_A" in parts or "lora_embedding_B" in parts
        a = parts.get("lora_embedding_A" if embedding else "lora_A")
        b = parts.get("lora_embedding_B" if embedding else "lora_B")
        if a is None or b is None:
            raise ModelError(f"{label}: module {module} has only one of its two LoRA factors")
        r = _pattern_value(config.get("rank_pattern"), module, r_default)
        alpha = _pattern_value(config.get("alpha_pattern"), module, alpha_default)
        rank = a.shape[0]
        if rank != r:
            raise ModelError(
                f"{label}: module {module} has rank {rank} in the weights but r={r} in adapter_config.json"
            )
        scale = alpha / math.sqrt(r) if rslora else alpha / r
        p = patch(f"{module}.weight")
        p.a, p.b, p.embedding, p.scale, p.fan_in_fan_out = a, b, embedding, scale, fifo and not embedding
        if "bias" in parts:
            bp = patch(f"{module}.bias")
            bp.bias, bp.scale = parts["bias"], scale
    return adapter


def apply(patch: Patch, weight, read, name: str, label: str):
    """The patched tensor (a new tensor; `weight` itself is never written to)."""
    import torch

    if patch.replace is not None:
        rep = read(patch.replace)
        if tuple(rep.shape) != tuple(weight.shape):
            raise ModelError(
                f"{label}: adapter's copy of {name} has shape {tuple(rep.shape)}, the base has {tuple(weight.shape)}"
            )
        weight = rep.to(weight.dtype) if weight.is_floating_point() else rep.to(weight.dtype)
    if patch.a is None and patch.bias is None:
        return weight if patch.replace is not None else weight.clone()
    work = torch.promote_types(weight.dtype, torch.float32)
    if patch.bias is not None:
        delta = read(patch.bias).to(device=weight.device, dtype=work) * patch.scale
    else:
        a = read(patch.a).to(device=weight.device, dtype=work)
        b = read(patch.b).to(device=weight.device, dtype=work)
        # W + scale * (B @ A) in a kept buffer and the engine's result memory (scratch.py):
        # the same operations as on fresh tensors, without their page faults
        delta = torch.matmul(b, a, out=buffer("lora_delta", (b.shape[0], a.shape[1]), work, weight.device))
        if patch.embedding or patch.fan_in_fan_out:
            delta = delta.T
        delta.mul_(patch.scale)
    if tuple(delta.shape) != tuple(weight.shape):
        raise ModelError(
            f"{label}: LoRA delta for {name} has shape {tuple(delta.shape)}, but the base tensor has "
            f"{tuple(weight.shape)}: the adapter was trained on another model"
        )
    # weight.to(work) + delta; an in-place add of the bf16 weight itself would convert it into
    # a fresh tensor first
    patched = buffer("lora_weight", weight.shape, work, weight.device).copy_(weight).add_(delta)
    return result(weight.shape, weight.dtype, weight.device).copy_(patched)
