"""Every output tensor of a mergekit-moe build, per output architecture, in mergekit 0.1.5's order.

The order is mergekit's own (its architecture tables: `mistral.json`, `llama.json`, `qwen2.json`,
`qwen3.json`, then the expert and router loops of `moe/mixtral.py`, `qwen.py`, `deepseek.py`, `qwen3.py`), because the
expert noise is drawn from the global torch generator tensor by tensor: the same order gives the
same draws under the same seed. Each group says its outputs' names, shapes and dtypes before
anything is read (the shard headers are written first) and makes its tensors when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..checkpoint import Checkpoint
from ..errors import ModelError
from .config import Expert

# mergekit's layer templates, in its order ("mlp." names are the expert weights).
LLAMA_LAYER = ("input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
               "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
               "mlp.up_proj.weight", "mlp.gate_proj.weight", "mlp.down_proj.weight")
QWEN2_LAYER = ("input_layernorm.weight", "mlp.down_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
               "post_attention_layernorm.weight", "self_attn.k_proj.bias", "self_attn.k_proj.weight",
               "self_attn.o_proj.weight", "self_attn.q_proj.bias", "self_attn.q_proj.weight",
               "self_attn.v_proj.bias", "self_attn.v_proj.weight")
EMBED, NORM, HEAD = "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"
OPTIONAL = (HEAD,)  # an untied checkpoint has it; a tied one does not, and none is written
QWEN3_LAYER = ("input_layernorm.weight", "mlp.down_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
               "post_attention_layernorm.weight", "self_attn.k_norm.weight", "self_attn.k_proj.weight",
               "self_attn.q_norm.weight", "self_attn.q_proj.weight", "self_attn.v_proj.weight",
               "self_attn.o_proj.weight")
# The fused experts are made from each expert's MLP weights, read and noised in this order.
MIXTRAL_SOURCES = ("gate_proj", "down_proj", "up_proj")
QWEN3_SOURCES = ("gate_proj", "up_proj", "down_proj")


@dataclass
class Output:
    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass
class Group:
    outputs: list[Output]
    make: Callable[[], list]  # the tensors, in the outputs' order, cast and contiguous


@dataclass
class Sources:
    base: Checkpoint
    experts: list[tuple[Expert, Checkpoint]]
    shared: list[tuple[Expert, Checkpoint]]
    config: dict  # the base's config.json
    out_dtype: str | None  # None: every tensor keeps its dtype, as mergekit's .to(dtype=None)
    gate_rows: int  # router rows per layer: the gated experts (gates.gated)
    gate_dtype: str  # the dtype gates.gate_vectors gives (gates.GATE_DTYPES)
    gates: object = None  # its (layers, gate_rows, hidden) tensor, set once the shapes are checked

    @property
    def layers(self) -> int:
        return self.config["num_hidden_layers"]


def _missing(checkpoint: Checkpoint, name: str) -> ModelError:
    return ModelError(f"{checkpoint.label}: no tensor {name} (mergekit-moe needs it)")


def read(checkpoint: Checkpoint, name: str):
    """A view of one tensor of a checkpoint, or ModelError naming what is missing."""
    info = checkpoint.tensors.get(name)
    if info is None:
        raise _missing(checkpoint, name)
    return info.file.view(info)


def _finish(tensor, out_dtype: str | None):
    import torch

    return (tensor if out_dtype is None else tensor.to(getattr(torch, out_dtype))).contiguous()


def noised(tensor, expert: Expert, residual: bool):
    """mergekit's noise_and_scale: Gaussian noise (a draw in the tensor's dtype), then residual_scale."""
    import torch

    if expert.noise_scale is not None:
        tensor = tensor + torch.randn_like(tensor) * expert.noise_scale
    if residual and expert.residual_scale is not None:
        tensor = tensor * expert.residual_scale
    return tensor


def _copy(src: Sources, checkpoint: Checkpoint, name: str, out_name: str | None = None,
          expert: Expert | None = None) -> list[Group]:
    """One tensor copied (an expert's noised); an absent optional one is skipped, as mergekit does."""
    info = checkpoint.tensors.get(name)
    if info is None:
        if name in OPTIONAL:
            return []
        raise _missing(checkpoint, name)

    def make():
        tensor = info.file.view(info)
        if expert is not None:
            tensor = noised(tensor, expert, residual="down_proj" in name)
        return [_finish(tensor, src.out_dtype)]

    return [Group([Output(out_name or name, info.shape, src.out_dtype or info.dtype)], make)]


def _routers(src: Sources, shared_gate: bool) -> list[Group]:
    groups = []
    routed, hidden, dtype = len(src.experts), src.config["hidden_size"], src.out_dtype or src.gate_dtype
    for i in range(src.layers):
        parts = [(f"model.layers.{i}.mlp.gate.weight", 0, routed)]
        if shared_gate:  # the shared experts' rows, after the routed ones (none when they are not gated)
            parts.append((f"model.layers.{i}.mlp.shared_expert_gate.weight", routed, src.gate_rows))
        for name, start, stop in parts:
            groups.append(Group([Output(name, (stop - start, hidden), dtype)],
                                lambda i=i, a=start, b=stop: [_finish(src.gates[i][a:b].cpu(), dtype)]))
    return groups


def _layer_names(i: int, template: tuple[str, ...]) -> list[str]:
    return [f"model.layers.{i}.{t}" for t in template]


def _fused_experts(src: Sources, i: int, order: tuple[str, ...]) -> Group:
    import torch

    prefix = f"model.layers.{i}.mlp"
    first = {p: src.experts[0][1].tensors.get(f"{prefix}.{p}.weight") for p in order}
    if any(info is None for info in first.values()):
        raise ModelError(f"{src.experts[0][1].label}: layer {i} has no gate_proj, up_proj and down_proj")
    n, (inter, hidden) = len(src.experts), first["gate_proj"].shape
    dtype = src.out_dtype or first["gate_proj"].dtype

    def make():
        gate_up, down = [], []
        for expert, checkpoint in src.experts:
            t = {p: noised(read(checkpoint, f"{prefix}.{p}.weight"), expert, p == "down_proj")
                 for p in order}
            gate_up.append(torch.cat([t["gate_proj"], t["up_proj"]], dim=0))
            down.append(t["down_proj"])
        return [_finish(torch.stack(gate_up), src.out_dtype), _finish(torch.stack(down), src.out_dtype)]

    return Group([Output(f"{prefix}.experts.gate_up_proj", (n, 2 * inter, hidden), dtype),
                  Output(f"{prefix}.experts.down_proj", (n, hidden, inter), dtype)], make)


def _fused(src: Sources, template: tuple[str, ...], order: tuple[str, ...]) -> list[Group]:
    """Mixtral and Qwen3 MoE: base weights but the MLPs, then each layer's experts fused as
    transformers 5 holds them (gate_up_proj: (experts, 2 x intermediate, hidden), down_proj:
    (experts, hidden, intermediate)), then the routers."""
    names = [EMBED, *(n for i in range(src.layers) for n in _layer_names(i, template)), NORM, HEAD]
    groups = [g for n in names if ".mlp." not in n for g in _copy(src, src.base, n)]
    groups += [_fused_experts(src, i, order) for i in range(src.layers)]
    return groups + _routers(src, shared_gate=False)


def mixtral(src: Sources) -> list[Group]:
    return _fused(src, LLAMA_LAYER, MIXTRAL_SOURCES)


def qwen3(src: Sources) -> list[Group]:
    return _fused(src, QWEN3_LAYER, QWEN3_SOURCES)


def _per_expert(src: Sources, template: tuple[str, ...], shared_slot: str, base_tensor) -> list[Group]:
    """Qwen MoE and DeepSeek MoE: the template's tensors in order, each MLP weight once per expert
    (`mlp.experts.N.`), then the shared expert's (`mlp.<shared_slot>.`)."""
    names = [EMBED, *(n for i in range(src.layers) for n in _layer_names(i, template)), NORM, HEAD]
    groups = []
    for name in names:
        if ".mlp." not in name:
            groups += base_tensor(name)
            continue
        for k, (expert, checkpoint) in enumerate(src.experts):
            groups += _copy(src, checkpoint, name, name.replace(".mlp.", f".mlp.experts.{k}."), expert)
        for expert, checkpoint in src.shared:
            groups += _copy(src, checkpoint, name, name.replace(".mlp.", f".mlp.{shared_slot}."), expert)
    return groups


def _zero_bias(src: Sources, name: str) -> list[Group]:
    """Qwen2 MoE has attention biases; a Llama or Mistral base has none: zeros, as mergekit gives it."""
    cfg = src.config
    heads = cfg["num_key_value_heads"] if name.endswith(("k_proj.bias", "v_proj.bias")) else cfg["num_attention_heads"]
    size = heads * (cfg["hidden_size"] // cfg["num_attention_heads"])
    dtype = src.out_dtype or "float32"  # torch.zeros' default, when the config names no dtype

    def make():
        import torch

        return [torch.zeros(size, dtype=getattr(torch, dtype))]

    return [Group([Output(name, (size,), dtype)], make)]


def qwen(src: Sources) -> list[Group]:
    def base_tensor(name):
        if name not in src.base.tensors and name.endswith("_proj.bias"):
            return _zero_bias(src, name)
        return _copy(src, src.base, name)

    return _per_expert(src, QWEN2_LAYER, "shared_expert", base_tensor) + _routers(src, shared_gate=True)


def deepseek(src: Sources) -> list[Group]:
    groups = _per_expert(src, LLAMA_LAYER, "shared_experts", lambda name: _copy(src, src.base, name))
    return groups + _routers(src, shared_gate=False)


LAYOUTS = {"Mixtral": mixtral, "Qwen MoE": qwen, "DeepSeek MoE": deepseek, "Qwen3 MoE": qwen3}


def groups_for(architecture: str, src: Sources) -> list[Group]:
    return LAYOUTS[architecture](src)
