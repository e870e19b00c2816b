"""textDocument/didOpen: a YAML document is tracked and checked; anything else is left alone."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from lsprotocol import types
from pygls.uris import to_fs_path

from .. import editor_settings
from ..documents import DocState, is_yaml

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.TEXT_DOCUMENT_DID_OPEN


def handle(ls: MergelintServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    path = to_fs_path(item.uri) or item.uri
    if not is_yaml(item.language_id, path):
        return
    editor_settings.forget_project_files()  # a settings file may have changed while nothing was open
    key = unquote(item.uri)
    old = ls.docs.get(key)
    state = DocState(item.uri, path, item.language_id, generation=(old.generation + 1) if old else 1)
    if old is not None:
        old.closed = True
    ls.docs[key] = state
    ls.scheduler.request(state)
