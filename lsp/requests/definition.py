"""textDocument/definition: a reference to a mergekit-multi stage goes to that stage's `name:`;
any other model reference to its config.json (adapter_config.json for a LoRA)."""

from __future__ import annotations

from lsprotocol import types

from .. import definition, stages
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_DEFINITION


def handle(request: DocumentRequest, params: types.DefinitionParams) -> types.Location | None:
    if not request.readable:  # any YAML file may name a model: no merge-config test here
        return None
    stage = stages.stage_at(request.analysis, params.position)
    if stage is not None:
        return stages.location(request.analysis, request.uri, stage.declarations()[0])
    return definition.target(request.analysis, params.position, request.inspector)
