"""The stdio transport: messages read on the event loop itself, not a thread hop per line.

pygls 2 reads stdin through its thread pool: `readline()` for each header line and
`read(n)` for each body, every one a round trip between a pool thread and the event
loop. While a check runs on the worker thread it holds the GIL for most of each 5 ms
switch interval, so each of those round trips waits: on a 4,600-line config the server
took in only three or four edits per check, and a burst of 20 edits was answered after
six or seven checks (about 0.6 s) instead of two. Here the loop reads the pipe
itself (`connect_read_pipe`): whatever has arrived is read in one go and every complete
message in it is handled at once. pygls's own message loop (`run_async`) and writer are
used unchanged; only the reader differs.

Used where stdin and stdout are two different pipes (how editors start language servers);
anything else (a terminal, a file, one socket for both directions, Windows) keeps
pygls's reader.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
import threading
from typing import BinaryIO

from pygls.io_ import StdoutWriter, run_async

log = logging.getLogger(__name__)

# A header line longer than this is garbage anyway; pygls's reader has no limit, so keep it high.
_LINE_LIMIT = 1 << 26


def usable(stdin: BinaryIO, stdout: BinaryIO) -> bool:
    """Whether stdin is a pipe of its own (putting it in non-blocking mode touches nothing else)."""
    if os.name != "posix":
        return False
    try:
        fin, fout = os.fstat(stdin.fileno()), os.fstat(stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(fin.st_mode) and (fin.st_dev, fin.st_ino) != (fout.st_dev, fout.st_ino)


class PipeReader:
    """pygls's AsyncReader (readline, readexactly) over an asyncio StreamReader on the pipe."""

    def __init__(self, stdin: BinaryIO):
        self.stdin = stdin
        self._reader: asyncio.StreamReader | None = None

    async def _stream(self) -> asyncio.StreamReader:
        if self._reader is None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader(limit=_LINE_LIMIT)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), self.stdin)
            self._reader = reader
        return self._reader

    async def readline(self) -> bytes:
        stream = await self._stream()
        try:
            return await stream.readline()
        except ValueError:  # a line past the limit: hand over what there is, as a read would
            return await stream.read(_LINE_LIMIT)

    async def readexactly(self, n: int) -> bytes:
        stream = await self._stream()
        try:
            return await stream.readexactly(n)
        except asyncio.IncompleteReadError as e:  # the end of input: what there was, as read(n) gives
            return e.partial


def serve(server, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """`server.start_io()`, reading stdin on the event loop when it is a pipe of its own."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    if not usable(stdin, stdout):
        server.start_io(stdin, stdout)
        return
    # as pygls's JsonRPCServer._start_io_async, with the reader above
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(
            run_async(
                stop_event=server._stop_event,
                reader=PipeReader(stdin),
                protocol=server.protocol,
                logger=logging.getLogger("pygls.server"),
                error_handler=server.report_server_error,
            )
        )
    except BrokenPipeError:
        log.error("Connection to the client is lost! Shutting down the server.")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
