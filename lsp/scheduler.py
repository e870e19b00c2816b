"""Checks without a fixed wait: the newest version at once, stale versions dropped.

One worker thread runs the checks, so the event loop keeps reading the client's
messages while a check runs. When a document changes during its check, the result is
dropped on arrival and the newest version is checked straight away; versions that came
and went in between are never checked. When idle, an edit is checked the moment it
arrives: there is no debounce timer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from lsprotocol import types

from .analysis import FAILED, Analysis, Snapshot, analyse
from .documents import DocState
from .positions import LineIndex

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(
        self,
        snapshot: Callable[[DocState], Snapshot],
        deliver: Callable[[DocState, Analysis], None],
        key_now: Callable[[DocState], tuple],
    ):
        """`snapshot(state)` is called on the loop thread, for each check; `deliver(state, analysis)` is called with each current result; `key_now(state)` names the version
        a result must have to be current."""
        self._snapshot = snapshot
        self._deliver = deliver
        self._key_now = key_now
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mergelint-check")

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def request(self, state: DocState) -> None:
        """The document changed (or its settings did): check its newest version."""
        state.dirty = True
        if not state.running:
            self._start(state)

    def close(self, state: DocState) -> None:
        """The document was closed: nothing more is checked, and requests waiting on it get nothing."""
        state.closed = True
        self._wake(state)

    def _start(self, state: DocState) -> None:
        if state.closed:
            return
        state.dirty = False
        if state.analysis is not None and state.analysis.key == self._key_now(state):
            self._deliver(state, state.analysis)
            self._wake(state)
            return
        snap = self._snapshot(state)
        state.running = True
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, _run, snap)
        future.add_done_callback(lambda f: self._finished(state, f))

    def _finished(self, state: DocState, future: asyncio.Future) -> None:
        state.running = False
        if state.closed:
            self._wake(state)
            return
        try:
            analysis = future.result()
        except BaseException:  # noqa: BLE001 - cancelled at shutdown
            self._wake(state)
            return
        state.analysis = analysis
        if state.dirty or analysis.key != self._key_now(state):
            self._start(state)  # stale: drop it, check the newest version now
            return
        self._deliver(state, analysis)
        self._wake(state)

    def _wake(self, state: DocState) -> None:
        waiters, state.waiters = state.waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    async def current(self, state: DocState) -> Analysis | None:
        """The analysis of the document as it is now (checked first if need be)."""
        for _ in range(100):
            if state.closed:
                return None
            analysis = state.analysis
            if analysis is not None and analysis.key == self._key_now(state):
                return analysis
            waiter = asyncio.get_running_loop().create_future()
            state.waiters.append(waiter)
            if not state.running:
                self.request(state)
            await waiter
        return state.analysis


def _run(snap: Snapshot) -> Analysis:
    try:
        started = time.perf_counter()
        analysis = analyse(snap)
        log.debug("checked %s (version %s, %s) in %.1f ms", snap.path, snap.version, analysis.status, (time.perf_counter() - started) * 1000)
        return analysis
    except Exception as e:  # a checker bug must cost one document its diagnostics, not the server
        log.exception("checking %s failed", snap.path)
        index = LineIndex(snap.text, snap.encoding)
        diag = types.Diagnostic(
            range=index.range(0, 0),
            message=f"mergelint could not check this document: internal error: {type(e).__name__}: {e} (see the server log)",
            severity=types.DiagnosticSeverity.Information,
            source="mergelint",
        )
        return Analysis(snap.key, snap.version, snap.text, index, FAILED, snap.context(), diagnostics=[diag])
