"""textDocument/rename: a mergekit-multi stage, its `name:` and every reference to it, as minimal
edits (mergelint.stage_rename); a name that cannot be used is refused with the reason."""

from __future__ import annotations

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from mergelint.stage_rename import RenameRefused, edits

from .. import stages
from ..actions import text_edit, workspace_edit
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_RENAME


class RequestFailed(JsonRpcException):
    """LSP's RequestFailed: the request was valid, and the server refuses it for the reason given."""

    CODE = -32803


def handle(request: DocumentRequest, params: types.RenameParams) -> types.WorkspaceEdit | None:
    if not request.readable:
        return None
    stage = stages.stage_at(request.analysis, params.position)
    if stage is None:
        return None
    source = stage.tree.source
    try:
        found = edits(source, stage.index, stage.name, params.new_name)
    except RenameRefused as e:
        raise RequestFailed(f"cannot rename stage {stage.name!r}: {e}") from None
    index = request.analysis.index
    changes = [text_edit(index, source, e, "\n") for e in found]
    return workspace_edit(request.uri, request.analysis.version, changes, request.caps)
