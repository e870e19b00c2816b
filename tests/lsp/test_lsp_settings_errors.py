"""A broken settings file (not TOML, not UTF-8) is never silence: one message naming it, and the
documents under it checked with the default settings, each saying why."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import TIMEOUT, of_rule, open_doc, published, rules, server_config, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

LINEAR = "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n"
MISSING = "missing-required-parameter"
IGNORE = b'ignore = ["missing-required-parameter"]\n'

# Each would ignore MISSING if it could be read: MISSING reported shows the defaults were used.
# case -> (file name, content, the line at fault, 1-based)
BROKEN = {
    "mergelint-not-toml": (".mergelint.toml", b'ignore = ["missing-required-parameter"\n', 1),
    "mergelint-not-utf8": (".mergelint.toml", IGNORE + b"# caf\xe9\n", 2),
    "pyproject-not-toml": ("pyproject.toml", b"[tool.mergelint]\n" + IGNORE + b"[[[\n", 3),
    "pyproject-not-utf8": ("pyproject.toml", b"[project]\nname = 'caf\xe9'\n[tool.mergelint]\n" + IGNORE, 2),
}


def _settings_notes(diagnostics, path) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code is None and "settings not used" in d.message and str(path) in d.message]


async def _rechecked(client: LanguageClient, uri: str, after: int):
    async def poll():
        while True:
            later = [p for p in client.published[after:] if p.uri == uri]
            if later:
                return list(later[-1].diagnostics)
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(poll(), TIMEOUT)


def _changed(client: LanguageClient, path) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)])
    )


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_broken_settings_file_is_reported_and_defaults_are_used(client: LanguageClient, workspace, case):
    name, content, line = BROKEN[case]
    folder = workspace / f"{case}-{client.profile.replace('@', '-')}"  # type: ignore[attr-defined]
    folder.mkdir()
    settings_file = folder / name
    settings_file.write_bytes(content)
    uris = [(folder / f"{n}.yml").as_uri() for n in ("a", "b")]
    for uri in uris:
        open_doc(client, uri, LINEAR)
    for uri in uris:
        diags = await published(client, uri, 1)
        assert len(of_rule(diags, MISSING)) == 2, diags  # checked, with the default settings
        (note,) = _settings_notes(diags, settings_file)
        assert note.severity == types.DiagnosticSeverity.Warning and note.range.start.line == 0
        (at,) = note.related_information  # the editor can go to the line at fault
        assert at.location.uri == settings_file.as_uri() and at.location.range.start.line == line - 1
    told = [m for m in client.messages if str(settings_file) in m.message]
    assert len(told) == 1, told  # once for the file, not once per document
    assert told[0].type == types.MessageType.Warning and "default settings" in told[0].message

    # fixed: the file applies, and the note goes
    settings_file.write_bytes(IGNORE if name == ".mergelint.toml" else b"[tool.mergelint]\n" + IGNORE)
    count = len(client.published)
    _changed(client, settings_file)
    for uri in uris:
        diags = await _rechecked(client, uri, count)
        assert MISSING not in rules(diags) and not _settings_notes(diags, settings_file), diags

    # broken again: told again
    settings_file.write_bytes(content)
    count = len(client.published)
    _changed(client, settings_file)
    assert _settings_notes(await _rechecked(client, uris[0], count), settings_file)
    assert len([m for m in client.messages if str(settings_file) in m.message]) == 2


@pytest_lsp.fixture(config=server_config())
async def puller(lsp_client: LanguageClient, tmp_path):
    (tmp_path / ".mergelint.toml").write_bytes(BROKEN["mergelint-not-toml"][1])
    await start(lsp_client, "neovim@v0.11.0", tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_pulled_diagnostics_say_so_too(puller: LanguageClient, tmp_path):
    uri = (tmp_path / "pull.yml").as_uri()
    open_doc(puller, uri, LINEAR)
    report = await asyncio.wait_for(
        puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))),
        TIMEOUT,
    )
    assert len(of_rule(report.items, MISSING)) == 2
    assert _settings_notes(report.items, tmp_path / ".mergelint.toml")
