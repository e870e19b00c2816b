"""textDocument/hover: what a key, a value or a model reference means."""

from __future__ import annotations

from lsprotocol import types

from .. import hover
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_HOVER


def handle(request: DocumentRequest, params: types.HoverParams) -> types.Hover | None:
    if not request.features_apply:
        return None
    plan = request.plans.made(request.analysis.text, request.base_dir)
    return hover.hover(request.analysis, params.position, request.caps, request.inspector, plan)
