"""Live diagnostics through a real client: push, pull, positions, settings, multi-document, staleness."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import (
    TIMEOUT,
    change_doc,
    close_doc,
    of_rule,
    open_doc,
    published,
    rules,
    server_config,
    start,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LINEAR = "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n"
MISSING = "missing-required-parameter"


async def test_linear_without_weights_gets_missing_parameter(client: LanguageClient, workspace):
    uri = (workspace / "linear.yml").as_uri()
    open_doc(client, uri, LINEAR)
    diags = await published(client, uri, 1)
    missing = of_rule(diags, MISSING)
    assert [(d.range.start.line, d.range.start.character, d.range.end.character) for d in missing] == [
        (2, 11, 16),
        (3, 11, 16),
    ]
    assert all(d.severity == types.DiagnosticSeverity.Error and d.source == "mergelint" for d in missing)
    assert missing[0].message == "linear requires 'weight' for model 'org/a'"
    assert missing[0].data["code"] == "ML102"
    # fixed by hand: the diagnostics clear at once for the new version
    version = change_doc(client, uri, LINEAR.replace("org/a\n", "org/a\n    parameters: {weight: 1}\n").replace(
        "org/b\n", "org/b\n    parameters: {weight: 1}\n"))
    assert of_rule(await published(client, uri, version), MISSING) == []
    close_doc(client, uri)
    await asyncio.sleep(0)


async def test_each_diagnostic_links_to_its_rules_documentation(client: LanguageClient, workspace):
    from mergelint.rule import DOCS_URL
    from mergelint.rules import lookup

    uri = (workspace / "links.yml").as_uri()
    open_doc(client, uri, "merge_method: linear\ndtype: bf16\nmodels:\n  - model: org/a  # mergelint: disable=nope\n")
    diags = await published(client, uri, 1)
    assert {"missing-required-parameter", "dtype-value", "unused-suppression"} <= set(rules(diags))
    for d in diags:
        assert d.code_description.href == f"{DOCS_URL}#{lookup(d.code).code.lower()}"  # (tests/test_rule_docs.py: a real anchor)
    close_doc(client, uri)


async def test_only_merge_configs_get_diagnostics(client: LanguageClient, workspace):
    other = (workspace / "workflow.yml").as_uri()
    open_doc(client, other, "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    weight: [\n")
    assert await published(client, other, 1) == []
    text = (workspace / "notes.txt").as_uri()
    open_doc(client, text, LINEAR, language_id="plaintext")
    config = (workspace / "config.yaml").as_uri()
    open_doc(client, config, LINEAR)
    assert of_rule(await published(client, config, 1), MISSING)
    assert not [p for p in client.published if p.uri == text], "a plaintext document got diagnostics"
    # a config that stops looking like one is cleared
    version = change_doc(client, config, "jobs: {}\n")
    assert await published(client, config, version) == []
    for uri in (other, text, config):
        close_doc(client, uri)


async def test_close_clears(client: LanguageClient, workspace):
    uri = (workspace / "closing.yml").as_uri()
    open_doc(client, uri, LINEAR)
    assert await published(client, uri, 1)
    count = len(client.published)
    close_doc(client, uri)

    async def cleared():
        while not [p for p in client.published[count:] if p.uri == uri and not p.diagnostics]:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(cleared(), TIMEOUT)


async def test_positions_are_utf16_by_default(client: LanguageClient, workspace):
    uri = (workspace / "wide.yml").as_uri()
    # a non-BMP character (2 UTF-16 units, 1 code point) before the second model on the same line
    text = "merge_method: linear\nmodels: [{model: 😀/a}, {model: b}]\n"
    open_doc(client, uri, text)
    missing = of_rule(await published(client, uri, 1), MISSING)
    starts = sorted(d.range.start.character for d in missing)
    line = text.splitlines()[1]
    b_col = line.index("b}")
    assert starts == [line.index("😀"), b_col + 1]  # +1: 😀 is two UTF-16 code units
    close_doc(client, uri)


async def test_multi_document_yaml_is_checked_per_document(client: LanguageClient, workspace):
    uri = (workspace / "multi.yml").as_uri()
    text = (
        "name: first\nmerge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n"
        "---\nname: second\nmerge_method: linear\nmodels:\n  - model: org/b\n"
    )
    open_doc(client, uri, text)
    missing = of_rule(await published(client, uri, 1), MISSING)
    assert [d.range.start.line for d in missing] == [9]
    assert missing[0].data["document"] == 1
    close_doc(client, uri)


async def test_fast_edits_drop_stale_versions(client: LanguageClient, workspace):
    """Edits faster than checks: every version is not checked, but the newest always is."""
    uri = (workspace / "big.yml").as_uri()
    lines = ["merge_method: passthrough", "slices:"]
    for i in range(600):
        lines += ["  - sources:", f"      - model: org/m{i % 5}", f"        layer_range: [{i % 30}, {i % 30 + 1}]"]
    text = "\n".join(lines) + "\n"
    open_doc(client, uri, text)
    await published(client, uri, 1)
    before = len(client.published)
    last = 1
    for i in range(40):
        last = change_doc(client, uri, text.replace("[0, 1]", f"[0, {i % 2 + 1}]", 1))
    diags = await published(client, uri, last)
    versions = [p.version for p in client.published[before:] if p.uri == uri]
    assert versions[-1] == last
    assert versions == sorted(versions), "an older version was published after a newer one"
    assert len(versions) < 40, "every stale version was checked and published"
    assert of_rule(diags, MISSING) == []
    close_doc(client, uri)


# --- encodings, settings and pull diagnostics: a server of their own each ---------


@pytest_lsp.fixture(config=server_config())
async def utf8_client(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, "neovim@v0.9.1", tmp_path, encodings=[types.PositionEncodingKind.Utf8])
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_negotiated_utf8_positions(utf8_client: LanguageClient, tmp_path):
    uri = (tmp_path / "wide.yml").as_uri()
    text = "merge_method: linear\nmodels: [{model: 模型/a}, {model: b}]\n"
    open_doc(utf8_client, uri, text)
    missing = of_rule(await published(utf8_client, uri, 1), MISSING)
    line = text.splitlines()[1]
    assert sorted(d.range.start.character for d in missing) == [
        len(line[: line.index("模")].encode()),
        len(line[: line.index("b}")].encode()),
    ]


@pytest_lsp.fixture(config=server_config())
async def configured(lsp_client: LanguageClient, tmp_path):
    lsp_client.set_configuration({"severity": {MISSING: "warning"}}, section="mergelint")
    await start(lsp_client, "visual-studio-code", tmp_path, options={"mergelint": {"ignore": ["model-not-found"]}})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_settings_from_init_options_and_workspace_configuration(configured: LanguageClient, tmp_path):
    uri = (tmp_path / "c.yml").as_uri()
    open_doc(configured, uri, LINEAR)

    async def settled():
        while True:
            diags = configured.diagnostics.get(uri)
            if diags and all(d.severity == types.DiagnosticSeverity.Warning for d in of_rule(diags, MISSING)):
                return list(diags)
            await asyncio.sleep(0.01)

    diags = await asyncio.wait_for(settled(), TIMEOUT)
    assert "model-not-found" not in rules(diags)  # initializationOptions
    assert of_rule(diags, MISSING)  # severity from workspace/configuration
    # a pushed change of settings
    count = len(configured.published)
    configured.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"mergelint": {"ignore": [MISSING, "model-not-found"]}})
    )

    async def ignored():
        while True:
            later = [p for p in configured.published[count:] if p.uri == uri]
            if later and MISSING not in rules(later[-1].diagnostics):
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(ignored(), TIMEOUT)


@pytest_lsp.fixture(config=server_config())
async def project(lsp_client: LanguageClient, tmp_path):
    (tmp_path / ".mergelint.toml").write_text('ignore = ["missing-required-parameter"]\n')
    await start(lsp_client, "neovim@v0.7.0", tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_project_settings_file_applies(project: LanguageClient, tmp_path):
    uri = (tmp_path / "p.yml").as_uri()
    open_doc(project, uri, LINEAR + "dtype: bf16\n")
    diags = await published(project, uri, 1)
    assert MISSING not in rules(diags)
    assert "dtype-value" in rules(diags)
    # the settings file changes: the editor says so, and the open documents are checked again
    settings_file = tmp_path / ".mergelint.toml"
    settings_file.write_text('ignore = ["dtype-value"]\n')
    count = len(project.published)
    project.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=settings_file.as_uri(), type=types.FileChangeType.Changed)]
        )
    )

    async def rechecked():
        while True:
            later = [p for p in project.published[count:] if p.uri == uri]
            if later:
                return list(later[-1].diagnostics)
            await asyncio.sleep(0.01)

    diags = await asyncio.wait_for(rechecked(), TIMEOUT)
    assert MISSING in rules(diags) and "dtype-value" not in rules(diags)


@pytest_lsp.fixture(config=server_config())
async def puller(lsp_client: LanguageClient, tmp_path):
    await start(lsp_client, "neovim@v0.11.0", tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_pull_diagnostics_when_the_client_supports_them(puller: LanguageClient, tmp_path):
    uri = (tmp_path / "pull.yml").as_uri()
    open_doc(puller, uri, LINEAR)
    ident = types.TextDocumentIdentifier(uri=uri)
    report = await asyncio.wait_for(
        puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ident)), TIMEOUT
    )
    assert report.kind == "full"
    assert len(of_rule(report.items, MISSING)) == 2
    again = await asyncio.wait_for(
        puller.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=ident, previous_result_id=report.result_id)
        ),
        TIMEOUT,
    )
    assert again.kind == "unchanged" and again.result_id == report.result_id
    change_doc(puller, uri, LINEAR.replace("linear", "passthrough").replace("  - model: org/b\n", ""))
    fresh = await asyncio.wait_for(
        puller.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=ident, previous_result_id=report.result_id)
        ),
        TIMEOUT,
    )
    assert fresh.kind == "full" and of_rule(fresh.items, MISSING) == []
    assert not [p for p in puller.published if p.uri == uri], "pushed as well as pulled"
