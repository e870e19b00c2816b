"""Model facts for hover and go-to-definition, from merge_core.inspect (the checks' own source).

References resolve the way the checker resolves them: a local folder (relative paths
against the base folder), the Hugging Face cache, or online metadata when the settings
allow it. Nothing is loaded; only config.json, adapter_config.json and safetensors
headers are read.
"""

from __future__ import annotations

import os

from merge_core.inspect import Inspector, describe
from merge_core.language import ADAPTER_CONFIG, MODEL_CONFIG
from merge_core.references import ModelPath, ModelReference


def _part_markdown(label: str, mpath: ModelPath, inspect: Inspector) -> str:
    res = inspect.resolve(mpath)
    head = f"{label} `{mpath}`"
    if res.ok and res.facts is not None:
        return f"{head}\n\n{describe(res.facts)}"
    return f"{head}: {res.message or res.status}"


def reference_markdown(ref: ModelReference, inspect: Inspector) -> str:
    parts = [_part_markdown("Model", ref.model, inspect)]
    if ref.lora is not None:
        parts.append(_part_markdown("LoRA", ref.lora, inspect))
    if ref.override_architecture:
        parts.append(f"Architecture overridden as `{ref.override_architecture}`")
    return "\n\n".join(parts)


def definition_file(mpath: ModelPath, inspect: Inspector, adapter: bool = False) -> str | None:
    """config.json (adapter_config.json for an adapter) of a reference that resolves to a folder."""
    res = inspect.resolve(mpath)
    directory = res.facts.directory if res.facts is not None else None
    if not directory:
        return None
    order = (ADAPTER_CONFIG, MODEL_CONFIG) if adapter else (MODEL_CONFIG, ADAPTER_CONFIG)
    for name in order:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None
