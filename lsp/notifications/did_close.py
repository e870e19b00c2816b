"""textDocument/didClose: forget the document, and clear its pushed diagnostics."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.TEXT_DOCUMENT_DID_CLOSE


def handle(ls: MergelintServer, params: types.DidCloseTextDocumentParams) -> None:
    state = ls.docs.pop(unquote(params.text_document.uri), None)
    if state is None:
        return
    ls.settings_problems.pop(state.uri, None)
    ls.kinds.pop(state.uri, None)  # told again if it is opened again
    ls.scheduler.close(state)
    if not ls.caps.pull_diagnostics:
        ls.publish(state.uri, [])
