"""A raw JSON-RPC client, below any client library: Content-Length framed bytes to a real server process."""

from __future__ import annotations

import asyncio
import json
import os

from lsp_support import SERVER, TIMEOUT


class Raw:
    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    @classmethod
    async def spawn(cls, command=SERVER, stderr=asyncio.subprocess.DEVNULL) -> "Raw":
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env
        )
        return cls(proc)

    def send_bytes(self, body: bytes, headers: bytes = b"") -> None:
        self.proc.stdin.write(headers + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict) -> None:
        self.send_bytes(json.dumps(message).encode())

    def notify(self, method: str, params=None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    async def read(self) -> dict:
        headers = await self.proc.stdout.readuntil(b"\r\n\r\n")
        length = next(int(h.split(b":")[1]) for h in headers.split(b"\r\n") if h.lower().startswith(b"content-length"))
        return json.loads(await self.proc.stdout.readexactly(length))

    async def wait_for(self, pred) -> dict:
        async def loop():
            while True:
                message = await self.read()
                if pred(message):
                    return message

        return await asyncio.wait_for(loop(), TIMEOUT)

    async def request(self, msg_id, method: str, params=None) -> dict:
        """Send a request and wait for its answer (what comes before it is skipped)."""
        self.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params or {}})
        return await self.wait_for(lambda m: m.get("id") == msg_id and "method" not in m)

    async def initialize(self, root_uri: str | None = None) -> dict:
        reply = await self.request("init", "initialize", {"processId": None, "rootUri": root_uri, "capabilities": {}})
        self.notify("initialized")
        return reply

    async def exit_status(self) -> int:
        self.notify("exit")
        return await asyncio.wait_for(self.proc.wait(), TIMEOUT)

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
