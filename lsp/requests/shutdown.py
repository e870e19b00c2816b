"""shutdown: no more checks (pygls answers the requests that come after it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import MergelintServer

METHOD = types.SHUTDOWN


def handle(ls: MergelintServer, params) -> None:
    ls.scheduler.shutdown()
    ls.plans.shutdown()
