"""workspace/didChangeConfiguration: new settings, sent along or to be fetched."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .. import editor_settings

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.WORKSPACE_DID_CHANGE_CONFIGURATION


async def handle(ls: MergelintServer, params: types.DidChangeConfigurationParams) -> None:
    sent = params.settings
    if isinstance(sent, dict) and isinstance(sent.get(editor_settings.SECTION), dict):
        ls.apply_settings(sent)
    elif ls.caps.configuration:
        await ls.fetch_settings()
    elif isinstance(sent, dict) and sent:
        ls.apply_settings(sent)
