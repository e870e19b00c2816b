"""Markdown for a model reference's hover, from the same facts the checks use."""

from __future__ import annotations

from .folder_facts import ModelFacts
from .safetensors import human_bytes

_WHERE = {"local": "local folder", "cache": "Hugging Face cache", "hub": "Hugging Face Hub"}


def count(n: int) -> str:
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def describe(facts: ModelFacts) -> str:
    """Architecture, layers, dtype, parameter count and size; for an adapter its base, rank, alpha and targets."""
    lines: list[str] = []
    where = _WHERE.get(facts.where, facts.where)
    if facts.is_model and facts.config is not None:
        arch = ", ".join(facts.architectures) or "unknown architecture"
        kind = f" ({facts.model_type})" if facts.model_type else ""
        lines.append(f"**{arch}**{kind} · {where}")
        layers, key = facts.layer_count
        if layers is not None:
            lines.append(f"- Layers: {layers} (`{key}`)")
        shape = []
        if facts.hidden_size is not None:
            shape.append(f"hidden size {facts.hidden_size}")
        if facts.num_attention_heads is not None:
            kv = facts.num_key_value_heads
            shape.append(f"{facts.num_attention_heads} heads" + (f" ({kv} KV)" if kv and kv != facts.num_attention_heads else ""))
        if facts.intermediate_size is not None:
            shape.append(f"intermediate {facts.intermediate_size}")
        if shape:
            text = ", ".join(shape)
            lines.append(f"- {text[0].upper()}{text[1:]}")
        if facts.vocab_rows is not None:
            tied = " (tied embeddings)" if facts.tie_word_embeddings else ""
            lines.append(f"- Vocabulary: {facts.vocab_rows}{tied}")
    elif facts.has_weights:
        lines.append(f"**Model weights** · {where}")
    if facts.has_weights:
        parts = []
        if facts.dtype:
            parts.append(facts.dtype)
        if facts.parameter_count is not None:
            parts.append(f"{count(facts.parameter_count)} parameters")
        files = len(facts.weight_files)
        parts.append(f"{human_bytes(facts.size_bytes)} on disk ({facts.weight_format}{f', {files} files' if files > 1 else ''})")
        lines.append("- " + " · ".join(parts))
        if facts.tensors_unavailable:
            lines.append(f"- Tensor facts unavailable: {facts.tensors_unavailable}")
    if facts.quantization:
        lines.append(f"- Quantized: {facts.quantization}")
    if facts.auto_map:
        lines.append("- Custom code (`auto_map`): mergekit needs `--trust-remote-code`")
    adapter = facts.adapter
    if adapter is not None:
        if lines:
            lines.append("")
        kind = "LoRA" if adapter.peft_type == "LORA" else adapter.peft_type
        if adapter.use_dora:
            kind = "DoRA"
        base = f"`{adapter.base_model}`" if adapter.base_model else "not declared"
        lines.append(f"**{kind} adapter** · base {base}")
        rank = []
        if adapter.rank is not None:
            rank.append(f"rank {adapter.rank}")
        if adapter.alpha is not None:
            rank.append(f"alpha {adapter.alpha:g}")
        if adapter.scaling is not None:
            rank.append(f"scaling {adapter.scaling:g}{' (rsLoRA)' if adapter.use_rslora else ''}")
        if rank:
            lines.append("- " + ", ".join(rank))
        targets = adapter.target_modules
        if targets:
            lines.append(f"- Targets: {targets if isinstance(targets, str) else ', '.join(sorted(targets))}")
        if adapter.modules_to_save:
            lines.append(f"- Saves whole modules: {', '.join(adapter.modules_to_save)}")
        if adapter.tensors is not None:
            lines.append(f"- {len(adapter.tensors)} adapter tensors")
    for name, problem in facts.problems[:3]:
        lines.append(f"- ⚠ `{name}`: {problem}")
    if not lines:
        lines.append(f"{where}: no config.json, adapter_config.json or weights")
    return "\n".join(lines)

