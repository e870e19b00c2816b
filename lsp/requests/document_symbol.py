"""textDocument/documentSymbol: the outline of a merge config."""

from __future__ import annotations

from lsprotocol import types

from .. import symbols
from ..documents import tree
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_DOCUMENT_SYMBOL


def handle(request: DocumentRequest, params: types.DocumentSymbolParams):
    if not request.features_apply:
        return []
    found = symbols.document_symbols(tree(request.analysis), request.analysis.index)
    if request.caps.hierarchical_symbols:
        return found
    return symbols.flatten(found, request.uri)
