"""textDocument/codeAction: quick fixes for the diagnostics in a range, and fix-all."""

from __future__ import annotations

from lsprotocol import types

from .. import actions
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_CODE_ACTION
OPTIONS = types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, actions.FIX_ALL],
    resolve_provider=True,
)


def handle(request: DocumentRequest, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    analysis = request.analysis
    return actions.code_actions(analysis, request.uri, analysis.version, params, request.caps) or None
