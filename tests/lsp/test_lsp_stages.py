"""The four mergekit formats in the editor: go to a mergekit-multi stage, find and rename its
references, the outline per stage and the file's kind (also told in a `mergelint/kind` notification)."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from lsp_support import TIMEOUT, close_doc, open_doc, published

pytestmark = pytest.mark.asyncio(loop_scope="module")

STREAM = """\
name: base-merge
merge_method: linear
models:
  - model: org/a
  - model: org/b
---
name: "tuned"
merge_method: ties
base_model: base-merge@main
models:
  - model: base-merge+org/lora
  - model: {model: {path: base-merge}}
---
merge_method: slerp
base_model: tuned
tokenizer_source: "base-merge"
models:
  - model: tuned
  - model: base-merge
"""


def _at(text: str, needle: str, occurrence: int = 0, shift: int = 1) -> types.Position:
    """The position `shift` characters into the `occurrence`-th `needle` (ASCII text)."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    offset += shift
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


def _span(text: str, rng: types.Range) -> str:
    lines = text.split("\n")
    assert rng.start.line == rng.end.line
    return lines[rng.start.line][rng.start.character:rng.end.character]


async def _open(client: LanguageClient, workspace, name: str, text: str) -> str:
    uri = (workspace / name).as_uri()
    open_doc(client, uri, text)
    await published(client, uri, 1)
    return uri


def _ident(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def test_definition_goes_to_the_stage_name(client: LanguageClient, workspace):
    uri = await _open(client, workspace, "def-stages.yml", STREAM)
    declared = _at(STREAM, "name: base-merge", shift=6).line
    for needle, n in [("base-merge@main", 0), ("base-merge+org", 0), ("path: base-merge", 0), ('"base-merge"', 0), ("- model: base-merge\n", 0)]:
        shift = needle.index("base-merge") + 2
        found = await asyncio.wait_for(
            client.text_document_definition_async(types.DefinitionParams(text_document=_ident(uri), position=_at(STREAM, needle, n, shift))),
            TIMEOUT,
        )
        location = found[0] if isinstance(found, list) else found
        assert location.uri == uri and location.range.start.line == declared, needle
        assert _span(STREAM, location.range) == "base-merge"
    found = await client.text_document_definition_async(types.DefinitionParams(text_document=_ident(uri), position=_at(STREAM, "- model: tuned", shift=10)))
    location = found[0] if isinstance(found, list) else found
    assert _span(STREAM, location.range) == "tuned"  # inside the quotes of name: "tuned"
    close_doc(client, uri)


async def test_references_of_a_stage(client: LanguageClient, workspace):
    uri = await _open(client, workspace, "refs-stages.yml", STREAM)

    async def references(position, declaration):
        params = types.ReferenceParams(
            text_document=_ident(uri), position=position, context=types.ReferenceContext(include_declaration=declaration)
        )
        return await asyncio.wait_for(client.text_document_references_async(params), TIMEOUT)

    from_name = await references(_at(STREAM, "name: base-merge", shift=8), True)
    assert len(from_name) == 6 and all(_span(STREAM, loc.range) == "base-merge" for loc in from_name)
    from_use = await references(_at(STREAM, "base-merge@main", shift=3), False)
    assert len(from_use) == 5
    assert {loc.range.start.line for loc in from_use} == {8, 10, 11, 15, 18}
    assert not await references(_at(STREAM, "org/a", shift=2), True)  # a model that is not a stage
    close_doc(client, uri)


async def test_rename_keeps_revision_lora_and_quotes(client: LanguageClient, workspace):
    uri = await _open(client, workspace, "rename-stages.yml", STREAM)
    position = _at(STREAM, "base-merge+org", shift=4)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(text_document=_ident(uri), position=position))
    assert prepared.placeholder == "base-merge" and _span(STREAM, prepared.range) == "base-merge"
    edit = await asyncio.wait_for(
        client.text_document_rename_async(types.RenameParams(text_document=_ident(uri), position=position, new_name="stage-one")),
        TIMEOUT,
    )
    edits = edit.changes[uri] if edit.changes else edit.document_changes[0].edits
    assert all(e.new_text == "stage-one" and _span(STREAM, e.range) == "base-merge" for e in edits)
    assert _apply(STREAM, edits) == STREAM.replace("base-merge", "stage-one")
    close_doc(client, uri)


async def test_rename_refuses_a_collision_and_a_bad_name(client: LanguageClient, workspace):
    uri = await _open(client, workspace, "rename-refused.yml", STREAM)
    position = _at(STREAM, "name: base-merge", shift=8)
    for new, why in [("tuned", "another stage"), ("org/a", "already uses the model"), ("x@v1", "not a model path")]:
        params = types.RenameParams(text_document=_ident(uri), position=position, new_name=new)
        with pytest.raises(JsonRpcException) as refused:
            await asyncio.wait_for(client.text_document_rename_async(params), TIMEOUT)
        assert why in refused.value.message and refused.value.code == -32803
    assert not await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=_ident(uri), position=_at(STREAM, "merge_method", shift=2))
    )
    close_doc(client, uri)


def _apply(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        line = lines[e.range.start.line]
        lines[e.range.start.line] = line[: e.range.start.character] + e.new_text + line[e.range.end.character:]
    return "\n".join(lines)


async def _symbols(client: LanguageClient, uri: str):
    return await asyncio.wait_for(client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=_ident(uri))), TIMEOUT)


async def test_symbols_per_stage(client: LanguageClient, workspace):
    uri = await _open(client, workspace, "symbols-stages.yml", STREAM)
    [root] = await _symbols(client, uri)
    if isinstance(root, types.SymbolInformation):  # a client without hierarchical symbols
        pytest.skip("flat symbols")
    assert (root.name, root.detail) == ("mergekit-multi config", "3 stages")
    assert [(s.name, s.detail) for s in root.children] == [("base-merge", "linear"), ("tuned", "ties"), ("final merge", "slerp")]
    assert _span(STREAM, root.children[1].selection_range) == '"tuned"'
    close_doc(client, uri)


KINDS = [
    ("moe.yml", "base_model: org/base\ngate_mode: hidden\nexperts:\n  - source_model: org/e1\n    positive_prompts: [code]\n", "mergekit-moe"),
    ("evolve.yml", "genome:\n  models: [org/a, org/b]\n  merge_method: ties\ntasks:\n  - name: arc\n", "mergekit-evolve"),
    ("plain.yml", "merge_method: linear\nmodels:\n  - model: org/a\n", "mergekit-yaml"),
    ("multi.yml", STREAM, "mergekit-multi"),
]


@pytest.mark.parametrize("name, text, command", KINDS, ids=[k[2] for k in KINDS])
async def test_the_kind_in_symbols_and_in_a_notification(client: LanguageClient, workspace, name, text, command):
    uri = await _open(client, workspace, name, text)
    told = await asyncio.wait_for(_kind_told(client, uri), TIMEOUT)
    assert told["command"] == command
    found = await _symbols(client, uri)
    assert found[0].name == f"{command} config"
    if command == "mergekit-moe" and isinstance(found[0], types.DocumentSymbol):
        experts = next(s for s in found[0].children if s.name == "experts")
        assert [(s.name, s.detail) for s in experts.children] == [("org/e1", "1 positive prompts")]
    close_doc(client, uri)


async def _kind_told(client: LanguageClient, uri: str) -> dict:
    while True:
        for params in reversed(client.kinds):
            if params["uri"] == uri:
                return params
        await asyncio.sleep(0.01)


async def test_the_kind_setting_forces_the_kind(client: LanguageClient, workspace):
    text = "merge_method: linear\nmodels:\n  - model: org/a\n"
    uri = await _open(client, workspace, "forced.yml", text)
    assert (await asyncio.wait_for(_kind_told(client, uri), TIMEOUT))["kind"] == "yaml"

    async def told(kind):
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"mergelint": {"kind": kind}}))
        while (await _kind_told(client, uri))["kind"] != (kind or "yaml"):
            await asyncio.sleep(0.01)

    await asyncio.wait_for(told("moe"), TIMEOUT)
    assert (await _symbols(client, uri))[0].name == "mergekit-moe config"
    await asyncio.wait_for(told(None), TIMEOUT)  # unset: the content decides again
    close_doc(client, uri)
