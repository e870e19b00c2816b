"""Bad input: the server answers with an error or with nothing, and keeps serving."""

from __future__ import annotations

import asyncio
import json
import os
import random

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import SERVER, TIMEOUT, change_doc, close_doc, of_rule, open_doc, published
from raw_jsonrpc import Raw

pytestmark = pytest.mark.asyncio(loop_scope="module")

LINEAR = "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n"
MISSING = "missing-required-parameter"


# --- raw JSON-RPC, below any client library ---------------------------------------


async def test_malformed_json_rpc(tmp_path):
    raw = await Raw.spawn()
    proc = raw.proc
    try:
        raw.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        assert "capabilities" in (await raw.wait_for(lambda m: m.get("id") == 1))["result"]
        raw.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

        raw.send_bytes(b"{this is not json")
        parse_error = await raw.wait_for(lambda m: "error" in m)
        assert parse_error["id"] is None and parse_error["error"]["code"] == -32700

        raw.send_bytes(b"[1, 2, 3]")  # valid JSON, not a message
        raw.send_bytes(b'"just a string"')
        raw.send({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": 5}, "position": "x"}})
        bad_params = await raw.wait_for(lambda m: m.get("id") == 2)
        assert bad_params["error"]["code"] == -32602
        raw.send({"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": {}})
        assert (await raw.wait_for(lambda m: m.get("id") == 3))["error"]["code"] == -32601
        raw.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///x.yml"}}})
        raw.send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": "file:///never/opened.yml", "version": 2}, "contentChanges": [{"text": "x"}]}})
        raw.send({"jsonrpc": "1.0", "id": 4, "method": "shutdown"})  # wrong protocol version: ignored
        raw.send_bytes(json.dumps({"jsonrpc": "2.0", "method": "$/unknownNotification", "params": {}}).encode(),
                       headers=b"X-Unknown-Header: 1\r\n")

        # still serving: a document is checked and a request answered
        uri = (tmp_path / "after.yml").as_uri()
        raw.send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": LINEAR}}})
        diags = await raw.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
        assert MISSING in [d["code"] for d in diags["params"]["diagnostics"]]
        raw.send({"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 0, "character": 16}}})
        hover = await raw.wait_for(lambda m: m.get("id") == 5)
        assert "linear" in hover["result"]["contents"]["value"]
        raw.send({"jsonrpc": "2.0", "id": 6, "method": "shutdown"})
        await raw.wait_for(lambda m: m.get("id") == 6)
        raw.send({"jsonrpc": "2.0", "method": "exit"})
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


# --- through a client ---------------------------------------------------------------


async def _still_serving(client: LanguageClient, workspace, name: str) -> None:
    uri = (workspace / f"{name}.yml").as_uri()
    open_doc(client, uri, LINEAR)
    assert of_rule(await published(client, uri, 1), MISSING)
    close_doc(client, uri)


async def test_requests_for_unknown_documents(client: LanguageClient, workspace):
    ident = types.TextDocumentIdentifier(uri=(workspace / "never-opened.yml").as_uri())
    pos = types.Position(line=0, character=0)
    rng = types.Range(start=pos, end=pos)
    assert await client.text_document_hover_async(types.HoverParams(text_document=ident, position=pos)) is None
    assert not await client.text_document_completion_async(types.CompletionParams(text_document=ident, position=pos))
    assert not await client.text_document_code_action_async(
        types.CodeActionParams(text_document=ident, range=rng, context=types.CodeActionContext(diagnostics=[]))
    )
    assert not await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident))
    assert not await client.text_document_definition_async(types.DefinitionParams(text_document=ident, position=pos))
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=ident.uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=LINEAR)],
        )
    )
    close_doc(client, ident.uri)
    await _still_serving(client, workspace, "after-unknown")


async def test_positions_past_the_end(client: LanguageClient, workspace):
    uri = (workspace / "short.yml").as_uri()
    open_doc(client, uri, LINEAR)
    await published(client, uri, 1)
    ident = types.TextDocumentIdentifier(uri=uri)
    for pos in (types.Position(line=999, character=999), types.Position(line=0, character=10_000), types.Position(line=4, character=3)):
        await client.text_document_hover_async(types.HoverParams(text_document=ident, position=pos))
        await client.text_document_completion_async(types.CompletionParams(text_document=ident, position=pos))
        await client.text_document_definition_async(types.DefinitionParams(text_document=ident, position=pos))
        await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=ident, range=types.Range(start=pos, end=pos), context=types.CodeActionContext(diagnostics=[])
            )
        )
    # an incremental edit whose range lies past the end
    far = types.Position(line=50, character=7)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=far, end=far), text="x: 1\n")],
        )
    )
    await published(client, uri, 2)
    close_doc(client, uri)
    await _still_serving(client, workspace, "after-positions")


async def test_document_turns_binary_mid_session(client: LanguageClient, workspace):
    uri = (workspace / "turns.yml").as_uri()
    open_doc(client, uri, LINEAR)
    assert of_rule(await published(client, uri, 1), MISSING)
    rng = random.Random(4)
    garbage = "merge_method: linear\n" + "".join(chr(rng.randrange(0, 0x110000)) for _ in range(5000))
    garbage += "\x00\udc80\ud800"  # NUL and lone surrogates: bytes that never were UTF-8
    version = change_doc(client, uri, garbage)
    assert await published(client, uri, version) == []
    ident = types.TextDocumentIdentifier(uri=uri)
    pos = types.Position(line=0, character=3)
    assert await client.text_document_hover_async(types.HoverParams(text_document=ident, position=pos)) is None
    completion = await client.text_document_completion_async(types.CompletionParams(text_document=ident, position=pos))
    assert not (completion.items if completion else [])
    assert not await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident))
    # garbage without NUL bytes is still text: checked, as YAML that does not parse
    noisy = "merge_method: linear\n" + "".join(chr(rng.randrange(0x20, 0xD7FF)) for _ in range(3000))
    version = change_doc(client, uri, noisy)
    await published(client, uri, version)
    version = change_doc(client, uri, LINEAR)
    assert of_rule(await published(client, uri, version), MISSING)
    close_doc(client, uri)


async def test_a_10mb_paste(client: LanguageClient, workspace):
    uri = (workspace / "huge.yml").as_uri()
    open_doc(client, uri, LINEAR)
    await published(client, uri, 1)
    block = "".join(f"  - model: org/m{i}\n    parameters: {{weight: 1}}\n" for i in range(1000))
    huge = LINEAR + block * (10 * 2**20 // len(block) + 1)
    assert len(huge) > 10 * 2**20
    version = change_doc(client, uri, huge)
    (info,) = await published(client, uri, version, timeout=60)
    assert info.severity == types.DiagnosticSeverity.Information and "not checked as you type" in info.message
    ident = types.TextDocumentIdentifier(uri=uri)
    assert await client.text_document_hover_async(
        types.HoverParams(text_document=ident, position=types.Position(line=0, character=16))
    ) is None
    await _still_serving(client, workspace, "beside-huge")
    version = change_doc(client, uri, LINEAR)
    assert of_rule(await published(client, uri, version), MISSING)
    close_doc(client, uri)


async def test_tcp_transport(tmp_path):
    """`mergelint lsp --tcp HOST:PORT` (for debugging) serves the same protocol over a socket."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = await asyncio.create_subprocess_exec(
        *SERVER, "--tcp", f"127.0.0.1:{port}", stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL, env=env,
    )
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            pytest.fail("the server did not listen")
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                           "params": {"processId": None, "rootUri": None, "capabilities": {}}}).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        length = int(headers.split(b"Content-Length:")[1].split(b"\r\n")[0])
        reply = json.loads(await reader.readexactly(length))
        assert reply["result"]["serverInfo"]["name"] == "mergelint"
        writer.close()
        assert await asyncio.wait_for(proc.wait(), TIMEOUT) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
