"""textDocument/references: from a mergekit-multi stage's `name:`, or a reference to it, to every
reference that names it (and its `name:` when the client asks for the declaration)."""

from __future__ import annotations

from lsprotocol import types

from .. import stages
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_REFERENCES


def handle(request: DocumentRequest, params: types.ReferenceParams) -> list[types.Location] | None:
    if not request.readable:
        return None
    stage = stages.stage_at(request.analysis, params.position)
    if stage is None:
        return None
    found = (stage.declarations() if params.context.include_declaration else []) + stage.uses()
    return [stages.location(request.analysis, request.uri, r) for r in found]
