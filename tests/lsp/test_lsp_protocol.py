"""What LSP and JSON-RPC 2.0 say a server does, over raw framed bytes to `python -m mergelint lsp`.

Before `initialize`: ServerNotInitialized; after `shutdown`: InvalidRequest; `exit` ends the
process with 0 after `shutdown` and 1 without it; each bad message is logged in one line, never
a traceback, and the server keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest

from lsp_support import SERVER
from raw_jsonrpc import Raw

LINEAR = "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n"
MISSING = "missing-required-parameter"
SERVER_NOT_INITIALIZED, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, PARSE_ERROR = -32002, -32600, -32601, -32602, -32700
# The console script beside this interpreter: `mergelint lsp`, as editors are usually set up.
INIT = {"processId": None, "rootUri": None, "capabilities": {}}
_SCRIPT = shutil.which("mergelint", path=str(Path(sys.executable).parent))


def _hover(uri: str) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 16}}


def _open(uri: str, text: str = LINEAR) -> dict:
    return {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}


async def _still_serving(raw: Raw, tmp_path, name: str) -> None:
    uri = (tmp_path / f"{name}.yml").as_uri()
    raw.notify("textDocument/didOpen", _open(uri))
    diags = await raw.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
    assert MISSING in [d["code"] for d in diags["params"]["diagnostics"]]


async def test_before_initialize_requests_get_server_not_initialized(tmp_path):
    raw = await Raw.spawn()
    try:
        early = (tmp_path / "early.yml").as_uri()
        for msg_id, method, params in ((1, "textDocument/hover", _hover(early)), (2, "shutdown", None), (3, "no/such/method", None)):
            reply = await raw.request(msg_id, method, params)
            assert reply["error"]["code"] == SERVER_NOT_INITIALIZED, reply
        raw.notify("textDocument/didOpen", _open(early))  # a notification before initialize is dropped
        assert "capabilities" in (await raw.initialize(tmp_path.as_uri()))["result"]
        # the dropped didOpen left no document behind: hovering it finds nothing
        assert (await raw.request(4, "textDocument/hover", _hover(early)))["result"] is None
        again = await raw.request(5, "initialize", INIT)
        assert again["error"]["code"] == INVALID_REQUEST  # initialize may be sent only once
        await _still_serving(raw, tmp_path, "after-initialize")
        assert (await raw.request(6, "shutdown"))["result"] is None
        assert await raw.exit_status() == 0
    finally:
        await raw.close()


async def test_after_shutdown_requests_get_invalid_request(tmp_path):
    raw = await Raw.spawn()
    try:
        await raw.initialize(tmp_path.as_uri())
        uri = (tmp_path / "open.yml").as_uri()
        raw.notify("textDocument/didOpen", _open(uri))
        assert (await raw.request(1, "shutdown"))["result"] is None
        for msg_id, method, params in ((2, "textDocument/hover", _hover(uri)), (3, "shutdown", None), ("x", "initialize", INIT)):
            reply = await raw.request(msg_id, method, params)
            assert reply["error"]["code"] == INVALID_REQUEST, reply
        raw.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "x: 1\n"}]})
        assert await raw.exit_status() == 0
    finally:
        await raw.close()


@pytest.mark.parametrize("command", [SERVER, [_SCRIPT, "lsp"]], ids=["python -m mergelint lsp", "mergelint lsp"])
async def test_exit_without_shutdown_is_status_1(tmp_path, command):
    if command[0] is None:
        pytest.skip("no mergelint console script beside this interpreter")
    raw = await Raw.spawn(command, stderr=asyncio.subprocess.PIPE)
    try:
        await raw.initialize(tmp_path.as_uri())
        assert await raw.exit_status() == 1
        assert b"Traceback" not in await raw.proc.stderr.read()
    finally:
        await raw.close()


async def test_exit_before_initialize_is_status_1():
    raw = await Raw.spawn()
    try:
        assert await raw.exit_status() == 1
    finally:
        await raw.close()


async def test_each_bad_message_is_one_log_line_and_the_server_keeps_serving(tmp_path):
    """Every bad message is followed by a request, so each is known to be handled before the next."""
    raw = await Raw.spawn(stderr=asyncio.subprocess.PIPE)
    ping = iter(range(100, 200))

    async def answered() -> None:
        msg_id = next(ping)
        assert (await raw.request(msg_id, "textDocument/hover", _hover((tmp_path / "none.yml").as_uri())))["result"] is None

    request = json.dumps({"jsonrpc": "2.0", "id": 9, "method": "textDocument/hover", "params": _hover("file:///x.yml")}).encode()
    try:
        await raw.initialize(tmp_path.as_uri())
        expected = []

        raw.send_bytes(b"{this is not json")
        assert (await raw.wait_for(lambda m: "error" in m))["error"]["code"] == PARSE_ERROR
        expected.append("not JSON")

        raw.send_bytes(b'{"jsonrpc": "2.0", "id": 1, "method": "\xff\xfe"}')  # not UTF-8
        reply = await raw.wait_for(lambda m: "error" in m)
        assert reply["id"] is None and reply["error"]["code"] == PARSE_ERROR
        expected.append("not JSON")

        raw.send_bytes(b"[1, 2, 3]")  # JSON, but no message
        reply = await raw.wait_for(lambda m: "error" in m)
        assert reply["id"] is None and reply["error"]["code"] == INVALID_REQUEST
        expected.append("not a message")

        raw.proc.stdin.write(b"Content-Length: twelve\r\n\r\n" + request)  # a length that is no number
        await answered()
        expected.append("Content-Length is 'twelve'")

        raw.proc.stdin.write(b"\r\n" + request)  # no Content-Length at all
        await answered()
        expected.append("not a message")

        raw.proc.stdin.write(b"Content-Length: 10\r\n\r\n" + request)  # too short: the rest is no header
        assert (await raw.wait_for(lambda m: "error" in m))["error"]["code"] == PARSE_ERROR
        await answered()
        expected.append("not JSON")

        reply = await raw.request(2, "no/such/method")
        assert reply["error"]["code"] == METHOD_NOT_FOUND
        expected.append("unknown method 'no/such/method'")

        reply = await raw.request(3, "textDocument/hover", {"textDocument": {"uri": 5}, "position": "x"})
        assert reply["error"]["code"] == INVALID_PARAMS and "position.line" in reply["error"]["message"]
        expected.append("'textDocument/hover' with params of the wrong shape")

        raw.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///x.yml"}})
        await answered()
        expected.append("dropped the notification 'textDocument/didOpen' with params of the wrong shape")

        # allowed, so not logged: a lower-case header name, another header, blank lines between messages
        raw.proc.stdin.write(b"\r\ncontent-length: %d\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n" % len(request) + request)
        assert (await raw.wait_for(lambda m: m.get("id") == 9))["result"] is None

        await _still_serving(raw, tmp_path, "after-bad-messages")
        await raw.request(4, "shutdown")
        assert await raw.exit_status() == 0
        log = (await raw.proc.stderr.read()).decode()
        assert "Traceback" not in log, log
        lines = log.splitlines()
        assert len(lines) == len(expected), log
        for line, words in zip(lines, expected):
            assert words in line, (words, log)
    finally:
        await raw.close()
