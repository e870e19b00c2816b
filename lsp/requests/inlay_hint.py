"""textDocument/inlayHint: the value per layer of gradient lists and filtered values."""

from __future__ import annotations

from lsprotocol import types

from .. import inlay_hints
from ..documents import tree
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_INLAY_HINT
OPTIONS = types.InlayHintOptions(resolve_provider=False)


def handle(request: DocumentRequest, params: types.InlayHintParams) -> list[types.InlayHint]:
    if not request.features_apply:
        return []
    return inlay_hints.inlay_hints(tree(request.analysis), request.analysis.index, request.inspector, params.range)
