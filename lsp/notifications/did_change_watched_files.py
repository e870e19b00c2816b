"""workspace/didChangeWatchedFiles: a settings file changed (the only files watched)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.WORKSPACE_DID_CHANGE_WATCHED_FILES


def handle(ls: MergelintServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.settings_files_changed()
