"""Shared helpers for the language server tests: a real server process driven by pytest-lsp.

The server runs as `python -m mergelint lsp`, exactly as editors start it. Clients
present the capabilities that pytest-lsp recorded from real editors (VS Code 1.65,
Neovim 0.7, Neovim 0.11), so the server is tested as each of them sees it.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import sys

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVER = [sys.executable, "-m", "mergelint", "lsp"]
PROFILES = ["visual-studio-code", "neovim@v0.7.0"]
TIMEOUT = 15


def _on_publish(client: LanguageClient, params: types.PublishDiagnosticsParams):
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _on_kind(client: LanguageClient, params):
    """mergelint/kind, as a dict (pygls hands a custom method's params over as an object)."""
    client.kinds.append(params if isinstance(params, dict) else {k: getattr(params, k) for k in ("uri", "kind", "command")})


def _on_register(client: LanguageClient, params: types.RegistrationParams):
    client.registrations.extend(params.registrations)


def make_client() -> LanguageClient:
    """pytest-lsp's test client, also recording every publishDiagnostics (with its version) and
    mergelint/kind, and answering client/registerCapability."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.kinds = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _on_publish
    features[types.CLIENT_REGISTER_CAPABILITY] = _on_register
    features["mergelint/kind"] = _on_kind
    register_lsp_features(client, features)
    return client


def server_config(env: dict | None = None) -> ClientServerConfig:
    import os

    full = dict(os.environ)
    full.setdefault("HF_HUB_OFFLINE", "1")
    full.update(env or {})
    return ClientServerConfig(server_command=SERVER, client_factory=make_client, server_env=full)


async def start(client: LanguageClient, profile: str, root: pathlib.Path, options=None, encodings=None):
    caps = client_capabilities(profile)
    if encodings is not None:
        caps.general = types.GeneralClientCapabilities(position_encodings=encodings)
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )
    )


_versions: dict[str, int] = {}


def open_doc(client: LanguageClient, uri: str, text: str, language_id: str = "yaml") -> None:
    _versions[uri] = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
        )
    )


def change_doc(client: LanguageClient, uri: str, text: str) -> int:
    _versions[uri] = _versions.get(uri, 1) + 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=_versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return _versions[uri]


def close_doc(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))


async def published(client: LanguageClient, uri: str, version: int | None = None, timeout: float = TIMEOUT):
    """The diagnostics published for `uri` (for `version`, when given), waiting for them."""

    def find():
        for p in reversed(client.published):
            if p.uri == uri and (version is None or p.version == version):
                return p
        return None

    async def poll():
        while find() is None:
            if client.error is not None:
                raise client.error
            await asyncio.sleep(0.01)
        return find()

    found = await asyncio.wait_for(poll(), timeout)
    return list(found.diagnostics)


def rules(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


def of_rule(diagnostics, rule: str):
    return [d for d in diagnostics if d.code == rule]


def apply_text_edits(text: str, edits, encoding: str = "utf-16") -> str:
    """Apply LSP TextEdits the way an editor does (positions in `encoding`)."""
    from lsp.positions import LineIndex

    index = LineIndex(text, encoding)
    spans = sorted(((index.offset(e.range.start), index.offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_of(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    if edit.document_changes:
        out = []
        for change in edit.document_changes:
            assert change.text_document.uri == uri
            out.extend(change.edits)
        return out
    return list(edit.changes[uri])


async def code_actions(client: LanguageClient, uri: str, diag: types.Diagnostic, only=None) -> list[types.CodeAction]:
    result = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=diag.range,
                context=types.CodeActionContext(diagnostics=[diag], only=only),
            )
        ),
        TIMEOUT,
    )
    return list(result or [])


def dump(obj) -> str:
    return json.dumps(obj, default=str, indent=1)


def cli_plan(config, cwd) -> dict:
    """`mergelint plan --format json CONFIG`, run as the user runs it."""
    import os
    import subprocess

    done = subprocess.run([sys.executable, "-m", "mergelint", "plan", "--format", "json", str(config)],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def lens_title(report: dict) -> str:
    """The code lens a plan's totals should make, from the figures of `mergelint plan --format json`."""
    from merge_core.plan_text import size

    t = report["totals"]
    return (f"{len(report['tensors'])} tensors · read {size(t['read_bytes'])} · write {size(t['write_bytes'])} · "
            f"peak {size(t['peak_memory_bytes'])}")
