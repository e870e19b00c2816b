"""codeAction/resolve: the edit of a fix-all action, computed when the user picks it."""

from __future__ import annotations

from lsprotocol import types

from .. import actions
from . import DocumentRequest

METHOD = types.CODE_ACTION_RESOLVE


def uri_of(action: types.CodeAction) -> str | None:
    """The document of a fix-all action still to be resolved; None for anything else."""
    data = action.data if isinstance(action.data, dict) else {}
    uri = data.get(actions.FIX_ALL_DATA)
    return uri if action.edit is None and isinstance(uri, str) else None


def unknown(action: types.CodeAction) -> types.CodeAction:
    return action


def handle(request: DocumentRequest, action: types.CodeAction) -> types.CodeAction:
    return actions.resolve(action, request.analysis, request.uri, request.caps)
