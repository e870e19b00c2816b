"""textDocument/codeLens: the plan's totals above `merge_method`, made in the background."""

from __future__ import annotations

from lsprotocol import types

from .. import code_lens
from ..documents import tree
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_CODE_LENS
OPTIONS = types.CodeLensOptions(resolve_provider=False)


def handle(request: DocumentRequest, params: types.CodeLensParams) -> list[types.CodeLens]:
    if not request.features_apply:
        return []
    return code_lens.lenses(request.uri, tree(request.analysis), request.analysis, request.plans, request.base_dir)
