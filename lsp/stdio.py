"""The stdio transport: messages read on the event loop itself, not a thread hop per line.

pygls 2 reads stdin through its thread pool: `readline()` for each header line and
`read(n)` for each body, every one a round trip between a pool thread and the event
loop. While a check runs on the worker thread it holds the GIL for most of each 5 ms
switch interval, so each of those round trips waits: on a 4,600-line config the server
took in only three or four edits per check, and a burst of 20 edits was answered after
six or seven checks (about 0.6 s) instead of two. Here the loop reads the pipe
itself (`connect_read_pipe`): whatever has arrived is read in one go and every complete
message in it is handled at once. That reader is used where stdin and stdout are two
different pipes (how editors start language servers); anything else (a terminal, a
file, one socket for both directions, Windows) keeps pygls's reader.

The framing loop is this module's too (pygls's writer is used unchanged). pygls's
`run_async` takes only `Content-Length: N\r\n` exactly; after any other line where that
header should be (a length that is not a number, a message sent without one), every
later message is read as garbage and the session is lost. Here a header is found wherever
it starts in its line, so the bytes before it are skipped and the next message is read;
each run of skipped bytes is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import stat
import sys
import threading
from typing import BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter

log = logging.getLogger(__name__)

# A header line longer than this is garbage anyway; pygls's reader has no limit, so keep it high.
_LINE_LIMIT = 1 << 26
# A Content-Length past this is a corrupt header, not a message: waiting for that many bytes would hang.
_BODY_LIMIT = 1 << 30
# The last "Content-Length:" header in a line, with whatever value it has.
_CONTENT_LENGTH = re.compile(rb"content-length:[ \t]*([^\r\n]*?)[ \t]*\r?\n?\Z", re.IGNORECASE)
_HEADER = re.compile(rb"[A-Za-z0-9-]+:[^\r\n]*\r?\n\Z")


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


async def read_messages(reader, protocol, stop_event: threading.Event) -> None:
    """Frame the messages on `reader` (`Content-Length` headers) for `protocol.handle_body`, until the input ends."""
    asyncio.get_running_loop().set_exception_handler(_quiet_at_exit)
    length: int | None = None
    skipping = False  # within bytes already reported as skipped: say so once
    while not stop_event.is_set():
        line = await reader.readline()
        if not line:
            return
        header = _CONTENT_LENGTH.search(line)
        if header is not None:
            if header.start() and not skipping:
                log.warning("skipped %d bytes that are not a message before a Content-Length header", header.start())
            value = header.group(1)
            length = int(value) if value.isdigit() and int(value) <= _BODY_LIMIT else None
            skipping = length is None
            if skipping:
                log.warning("skipped a message: its Content-Length is %r, not a number of bytes up to %d", value[:40].decode("latin-1"), _BODY_LIMIT)
        elif line.strip() == b"":
            if length is not None:  # the end of the headers
                body = await reader.readexactly(length)
                if len(body) < length:
                    return
                length = None
                skipping = not protocol.handle_body(body)  # a body past a too-short length: its rest is no header
        elif not (_HEADER.match(line) or skipping):  # other headers (Content-Type) are allowed
            log.warning("skipped %d bytes that are not a message header", len(line))
            skipping = True


def _quiet_at_exit(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Handlers still running at `exit` are cancelled; pygls's callbacks on them do not expect that:
    no traceback for it."""
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


def serve(server, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """`server.start_io()`, reading stdin on the event loop when it is a pipe of its own.

    `exit` ends the process with pygls's status: 0 after `shutdown`, 1 without it."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    reader = PipeReader(stdin) if usable(stdin, stdout) else StdinAsyncReader(stdin, server.thread_pool)
    # as pygls's JsonRPCServer._start_io_async, with the reader and the loop above
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(read_messages(reader, server.protocol, server._stop_event))
    except BrokenPipeError:
        log.error("Connection to the client is lost! Shutting down the server.")
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
