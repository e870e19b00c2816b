"""textDocument/didChange: check the newest version (pygls has applied the edit to its copy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.TEXT_DOCUMENT_DID_CHANGE


def handle(ls: MergelintServer, params: types.DidChangeTextDocumentParams) -> None:
    state = ls.state(params.text_document.uri)
    if state is None:
        return
    state.generation += 1
    ls.scheduler.request(state)
