"""textDocument/completion: keys, values and model references where the cursor is."""

from __future__ import annotations

from lsprotocol import types

from .. import completion
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_COMPLETION
OPTIONS = types.CompletionOptions(trigger_characters=[":", "/", "="], resolve_provider=False)


def handle(request: DocumentRequest, params: types.CompletionParams) -> types.CompletionList | None:
    if not request.features_apply:
        return types.CompletionList(is_incomplete=False, items=[])
    # local model folders relative to where the checks resolve them
    return completion.complete(request.analysis.index, params.position, request.caps, request.base_dir, request.folders)
