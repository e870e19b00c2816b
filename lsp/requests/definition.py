"""textDocument/definition: a model reference's config.json (adapter_config.json for a LoRA)."""

from __future__ import annotations

from lsprotocol import types

from .. import definition
from . import DocumentRequest

METHOD = types.TEXT_DOCUMENT_DEFINITION


def handle(request: DocumentRequest, params: types.DefinitionParams) -> types.Location | None:
    if not request.readable:  # any YAML file may name a model: no merge-config test here
        return None
    return definition.target(request.analysis, params.position, request.inspector)
