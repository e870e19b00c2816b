"""initialized: ask to hear of settings changes and of settings files, then read the settings."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from merge_core.language import SETTINGS_FILES

from .. import editor_settings

if TYPE_CHECKING:
    from ..server import MergelintServer

log = logging.getLogger("mergelint.lsp")

METHOD = types.INITIALIZED
SETTINGS_GLOB = "**/{" + ",".join(SETTINGS_FILES) + "}"


def _registrations(ls: MergelintServer) -> list[types.Registration]:
    found = []
    if ls.caps.configuration_registration:
        found.append(
            types.Registration(
                id=f"mergelint-configuration-{ls.session}",
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section=editor_settings.SECTION),
            )
        )
    if ls.caps.watched_files_registration:
        found.append(
            types.Registration(
                id=f"mergelint-settings-files-{ls.session}",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=SETTINGS_GLOB)]
                ),
            )
        )
    return found


async def handle(ls: MergelintServer, params: types.InitializedParams) -> None:
    registrations = _registrations(ls)
    if registrations:
        try:
            await asyncio.wait_for(ls.client_register_capability_async(types.RegistrationParams(registrations=registrations)), 10)
        except Exception as e:  # noqa: BLE001
            log.info("client/registerCapability refused: %s", e)
    await ls.fetch_settings()
