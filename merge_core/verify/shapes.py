"""## What it does
Checks the shapes of the tensors whose shape the config fixes, under their usual
Hugging Face names: the input embedding and the head (`[*, hidden_size]`), the attention
projections `q_proj` (`[num_attention_heads * head_dim, hidden_size]`), `k_proj` and
`v_proj` (`num_key_value_heads` heads), `o_proj`, the MLP's `gate_proj`, `up_proj`
(`[intermediate_size, hidden_size]`) and `down_proj`, and the decoder's norms
(`[hidden_size]`). `head_dim` is the config's, else `hidden_size / num_attention_heads`.
Tensors of other names (fused projections, experts, vision towers) are not checked.

## Why is this bad?
A tensor of another shape than the config describes does not load (transformers raises a
size mismatch, or with `ignore_mismatched_sizes` replaces it with random weights). It comes
from mixing models of different sizes, or a config.json copied from another model.
"""

from .check import Check, Finding
from .layout import config_int, main_stack
from .vocabulary import embedding_tensor
from .head import head_tensor

CHECK = Check("MV105", "shape-mismatch", "error", "A tensor's shape disagrees with config.json")

# tensor name ending -> its shape, in the config's dimensions
LAYER_SHAPES = {
    "self_attn.q_proj.weight": ("q", "hidden"),
    "self_attn.k_proj.weight": ("kv", "hidden"),
    "self_attn.v_proj.weight": ("kv", "hidden"),
    "self_attn.o_proj.weight": ("hidden", "q"),
    "mlp.gate_proj.weight": ("intermediate", "hidden"),
    "mlp.up_proj.weight": ("intermediate", "hidden"),
    "mlp.down_proj.weight": ("hidden", "intermediate"),
    "input_layernorm.weight": ("hidden",),
    "post_attention_layernorm.weight": ("hidden",),
}
NAMES = {"hidden": "hidden_size", "intermediate": "intermediate_size", "q": "num_attention_heads * head_dim",
         "kv": "num_key_value_heads * head_dim"}


def dimensions(config: dict) -> dict[str, int]:
    hidden, _ = config_int(config, "hidden_size", "n_embd", "d_model")
    heads, _ = config_int(config, "num_attention_heads", "n_head")
    kv, _ = config_int(config, "num_key_value_heads")
    head_dim, _ = config_int(config, "head_dim")
    intermediate, _ = config_int(config, "intermediate_size")
    dims = {}
    if hidden:
        dims["hidden"] = hidden
    if intermediate:
        dims["intermediate"] = intermediate
    if heads and (head_dim or (hidden and hidden % heads == 0)):
        head_dim = head_dim or hidden // heads
        dims["q"] = heads * head_dim
        dims["kv"] = (kv or heads) * head_dim
    return dims


def run(folder, stats):
    dims = dimensions(folder.config)
    expected: dict[str, tuple[str, ...]] = {}
    stack, _, _ = main_stack(folder.config, folder.tensors)
    for layer in (stack.layers.values() if stack else ()):
        for rest, name in layer.items():
            if rest in LAYER_SHAPES:
                expected[name] = LAYER_SHAPES[rest]
    for name in (embedding_tensor(folder), head_tensor(folder.tensors)):
        if name is not None:
            expected[name] = (None, "hidden")
    for name, want in expected.items():
        if not all(d is None or d in dims for d in want):
            continue
        shape = folder.tensors[name].shape
        if len(shape) == len(want) and shape == tuple(shape[i] if d is None else dims[d] for i, d in enumerate(want)):
            continue
        wanted = ", ".join("*" if d is None else str(dims[d]) for d in want)
        why = " and ".join(sorted({f"{NAMES[d]} {dims[d]}" for d in want if d is not None}))
        yield Finding(CHECK, folder.shard_of(name), f"{name} has shape {list(shape)} but config.json's {why} make "
                      f"[{wanted}]: it does not load")
