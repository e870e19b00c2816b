"""initialize: what the client can do, its first settings, and the features only some clients get."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from .. import editor_settings
from ..capabilities import Resolved

if TYPE_CHECKING:
    from ..server import MergelintServer

log = logging.getLogger("mergelint.lsp")

METHOD = types.INITIALIZE


def handle(ls: MergelintServer, params: types.InitializeParams) -> None:
    ls.caps = Resolved.of(params.capabilities)
    ls.initial_settings = editor_settings.section(params.initialization_options)
    parsed, problems = editor_settings.parse(ls.initial_settings)
    ls.client_settings = parsed
    for problem in problems:
        log.warning("settings: %s", problem)
    ls.route_for_client()
