"""Go to definition: from a model reference to the config.json of the folder it names.

`model+lora` written as one string: the part under the cursor decides between the
model's config.json and the adapter's adapter_config.json.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.uris import from_fs_path

from merge_core.language import (
    REFERENCE_PARTS, REFERENCE_PATH, WHOLE_REFERENCE_KEYS, holds_reference, is_tokenizer_keyword,
)
from merge_core.references import ModelPath, ModelReferenceError, parse_reference, reference_from_value

from . import model_info
from .analysis import Analysis
from .documents import locate, tree

def _part(value_node, column: int, text: str) -> str:
    """"lora" when the cursor is right of the `+` of a one-line `model+lora` scalar."""
    if "+" not in text or value_node.range.start.line != value_node.range.end.line:
        return "model"
    quote = 1 if value_node.style in ('"', "'") else 0
    offset = column - value_node.range.start.column - quote
    return "lora" if offset > text.index("+") else "model"


def target(analysis: Analysis, position: types.Position, inspect) -> types.Location | None:
    t = tree(analysis)
    if t.source is None:
        return None
    pos = analysis.index.to_checker(t.source, position)
    doc = t.document_at(pos.line)
    if doc is None or doc.root is None:
        return None
    hit = locate(doc.root, pos.line, pos.column)
    if hit is None:
        return None
    kind, path, key, _, value_node = hit
    value = value_node.value if value_node is not None else None
    if kind != "value" or not isinstance(value, str) or not holds_reference(path, key):
        return None
    if is_tokenizer_keyword(value):
        return None
    try:
        if key == REFERENCE_PATH:  # {path, revision}
            mpath, adapter = ModelPath(value), path[-1] == "lora"
        elif path and path[-1] in WHOLE_REFERENCE_KEYS and key in REFERENCE_PARTS:
            # the dict form `model: {model: ..., lora: ...}`, where '+' is an ordinary character
            mpath, adapter = reference_from_value({"model": value}).model, key == "lora"
        else:
            ref = parse_reference(value)
            adapter = ref.lora is not None and _part(value_node, pos.column, value) == "lora"
            mpath = ref.lora if adapter else ref.model
    except ModelReferenceError:
        return None
    found = model_info.definition_file(mpath, inspect, adapter)
    if found is None:
        return None
    start = types.Position(line=0, character=0)
    return types.Location(uri=from_fs_path(found), range=types.Range(start=start, end=start))
