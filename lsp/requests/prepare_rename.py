"""textDocument/prepareRename: only a mergekit-multi stage's name can be renamed, where it is
declared or referenced; the range is the name alone (not its quotes, @revision or +lora)."""

from __future__ import annotations

from lsprotocol import types

from .. import stages
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_PREPARE_RENAME


def handle(request: DocumentRequest, params: types.PrepareRenameParams):
    if not request.readable:
        return None
    stage = stages.stage_at(request.analysis, params.position)
    if stage is None:
        return None
    at = stages.location(request.analysis, request.uri, stage.at).range
    return types.PrepareRenamePlaceholder(range=at, placeholder=stage.name)
