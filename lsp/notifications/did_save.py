"""textDocument/didSave: a saved settings file is read again (for clients that watch no files)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from merge_core.language import SETTINGS_FILES

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.TEXT_DOCUMENT_DID_SAVE


def handle(ls: MergelintServer, params: types.DidSaveTextDocumentParams) -> None:
    name = os.path.basename(to_fs_path(params.text_document.uri) or "")
    if name in SETTINGS_FILES:
        ls.settings_files_changed()
