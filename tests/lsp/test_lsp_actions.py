"""Code actions through a real client: each kind applies, and its diagnostic clears."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import (
    TIMEOUT,
    apply_text_edits,
    change_doc,
    close_doc,
    code_actions,
    edits_of,
    of_rule,
    open_doc,
    published,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

_names = itertools.count()

CASES = [
    # (rule, text, action title, preferred, expected text after the action)
    (
        "missing-required-parameter",
        "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b  # second\n",
        "Add weight: 1.0",
        True,
        "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 1.0\n  - model: org/b  # second\n",
    ),
    (
        "missing-required-parameter",
        "merge_method: linear\nmodels:\n  - model: org/base+org/lora\n",
        "Switch to passthrough",
        False,
        "merge_method: passthrough\nmodels:\n  - model: org/base+org/lora\n",
    ),
    (
        "unknown-merge-method",
        "merge_method: 'dare-ties'\nbase_model: org/a\nmodels:\n  - model: org/b\n    parameters: {weight: 1, density: 0.5}\n",
        "Change to dare_ties",
        True,
        "merge_method: 'dare_ties'\nbase_model: org/a\nmodels:\n  - model: org/b\n    parameters: {weight: 1, density: 0.5}\n",
    ),
    (
        "unknown-parameter",
        "merge_method: ties\nbase_model: org/a\nparameters:\n  nomalize: true\nmodels:\n  - model: org/b\n    parameters:\n      weight: 1\n",
        "Rename to 'normalize'",
        True,
        "merge_method: ties\nbase_model: org/a\nparameters:\n  normalize: true\nmodels:\n  - model: org/b\n    parameters:\n      weight: 1\n",
    ),
    (
        "unknown-key",
        "dtpye: bfloat16\nmerge_method: passthrough\nmodels:\n  - model: org/a\n",
        "Rename to 'dtype'",
        True,
        "dtype: bfloat16\nmerge_method: passthrough\nmodels:\n  - model: org/a\n",
    ),
    (
        "unknown-key",
        "merge_method: linear\nmodels:\n  - model: org/a\n    weight: 0.5\n",
        "Move under parameters:",
        True,
        "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 0.5\n",
    ),
    (
        "base-model-required",
        "merge_method: ties\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n  - model: org/b\n    parameters: {weight: 1}\n",
        "Add base_model: org/a",
        False,
        "merge_method: ties\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n  - model: org/b\n    parameters: {weight: 1}\n"
        "base_model: org/a\n",
    ),
    (
        "dtype-value",
        "dtype: bf16\nmerge_method: passthrough\nmodels:\n  - model: org/a\n",
        "Change to bfloat16",
        True,
        "dtype: bfloat16\nmerge_method: passthrough\nmodels:\n  - model: org/a\n",
    ),
    (
        "unknown-parameter",
        "merge_method: ties\nbase_model: org/a\nparameters:\n  nomalize: true  # keep\nmodels:\n  - model: org/b\n    parameters:\n      weight: 1\n",
        "Disable unknown-parameter for this line",
        False,
        "merge_method: ties\nbase_model: org/a\nparameters:\n  nomalize: true  # keep  # mergelint: disable=unknown-parameter\n"
        "models:\n  - model: org/b\n    parameters:\n      weight: 1\n",
    ),
    (
        "missing-required-parameter",
        "merge_method: linear\nmodels:\n  - {model: org/a, weight: 0.5}  # mergelint: disable=unknown-key\n",
        "Disable missing-required-parameter for this line",
        False,
        "merge_method: linear\nmodels:\n  - {model: org/a, weight: 0.5}  # mergelint: disable=unknown-key, "
        "missing-required-parameter\n",
    ),
    (
        "dtype-value",
        "merge_method: passthrough\nmodels:\n  - model: org/a\ndtype: >-\n  bf16\n",
        "Disable dtype-value for this line",
        False,
        "merge_method: passthrough\nmodels:\n  - model: org/a\ndtype: >-  # mergelint: disable=dtype-value\n  bf16\n",
    ),
    (
        # a comment after `dare` would end the plain scalar: the suppression goes on a line of its own
        "unknown-merge-method",
        "merge_method: dare\n  ties\nbase_model: org/a\nmodels:\n  - model: org/b\n    parameters: {weight: 1}\n",
        "Disable unknown-merge-method for this line",
        False,
        "# mergelint: disable=unknown-merge-method\nmerge_method: dare\n  ties\nbase_model: org/a\nmodels:\n"
        "  - model: org/b\n    parameters: {weight: 1}\n",
    ),
]


def _case_id(case):
    return case[2].replace(" ", "-").replace("'", "")


async def _apply(client: LanguageClient, workspace, rule, text, title):
    uri = (workspace / f"action{next(_names)}.yml").as_uri()
    open_doc(client, uri, text)
    diags = of_rule(await published(client, uri, 1), rule)
    assert diags, f"no {rule} diagnostic to fix"
    target = diags[0]
    actions = await code_actions(client, uri, target)
    chosen = [a for a in actions if a.title == title]
    assert chosen, f"{title!r} not offered: {[a.title for a in actions]}"
    action = chosen[0]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.diagnostics and action.diagnostics[0].code == rule
    new_text = apply_text_edits(text, edits_of(action.edit, uri))
    version = change_doc(client, uri, new_text)
    after = await published(client, uri, version)
    close_doc(client, uri)
    return target, action, new_text, after


@pytest.mark.parametrize("case", CASES, ids=_case_id)
async def test_action_applies_and_clears(client: LanguageClient, workspace, case):
    rule, text, title, preferred, expected = case
    target, action, new_text, after = await _apply(client, workspace, rule, text, title)
    assert new_text == expected
    assert bool(action.is_preferred) == preferred
    assert not [d for d in of_rule(after, rule) if d.range.start.line == target.range.start.line]
    assert not of_rule(after, "unused-suppression")


async def test_versioned_edits_for_clients_that_support_them(client: LanguageClient, workspace):
    text = "merge_method: linear\nmodels:\n  - model: org/a\n"
    _, action, _, _ = await _apply(client, workspace, "missing-required-parameter", text, "Add weight: 1.0")
    if client.profile == "visual-studio-code":  # advertises workspaceEdit.documentChanges
        (change,) = action.edit.document_changes
        assert change.text_document.version == 1
    else:
        assert action.edit.changes and not action.edit.document_changes


async def test_fix_all(client: LanguageClient, workspace):
    uri = (workspace / "fixall.yml").as_uri()
    text = "merge_method: dare-ties\ndtype: bf16\nbase_model: org/a\nmodels:\n  - model: org/b\n    weight: 0.5\n"
    open_doc(client, uri, text)
    before = await published(client, uri, 1)
    assert {"unknown-merge-method", "dtype-value", "unknown-key"} <= {d.code for d in before}
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    (action,) = result
    assert action.kind == "source.fixAll.mergelint"
    # both profiles resolve an action's edit: fix-all's is worked out when it is chosen
    assert action.edit is None
    action = await asyncio.wait_for(client.code_action_resolve_async(action), TIMEOUT)
    edits = edits_of(action.edit, uri)
    new_text = apply_text_edits(text, edits)
    assert new_text == (
        "merge_method: dare_ties\ndtype: bfloat16\nbase_model: org/a\nmodels:\n  - model: org/b\n"
        "    parameters:\n      weight: 0.5\n"
    )
    # minimal: the untouched lines are not rewritten
    assert all(e.range.start.line != 2 for e in edits)
    version = change_doc(client, uri, new_text)
    after = await published(client, uri, version)
    assert not {"unknown-merge-method", "dtype-value", "unknown-key"} & {d.code for d in after}
    close_doc(client, uri)


async def test_fix_all_renames_a_typo_rather_than_adding_a_placeholder(client: LanguageClient, workspace):
    """The editor's fix-all decides as `--fix` does (one resolver): `weigth: 0.5` becomes `weight: 0.5`."""
    uri = (workspace / "fixall-typo.yml").as_uri()
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weigth: 0.5\n"
    open_doc(client, uri, text)
    before = await published(client, uri, 1)
    assert {"missing-required-parameter", "unknown-parameter"} <= {d.code for d in before}
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    (action,) = result
    action = await asyncio.wait_for(client.code_action_resolve_async(action), TIMEOUT)
    assert apply_text_edits(text, edits_of(action.edit, uri)) == text.replace("weigth", "weight")
    close_doc(client, uri)


async def test_fix_all_checks_in_the_live_checks_context(client: LanguageClient, workspace, tiny_model):
    """Fix-all's re-checks resolve `./model` from the document's (workspace) folder, as the live check does,
    not from the server's working directory: it applies exactly the preferred safe fixes the diagnostics offer."""
    import shutil

    shutil.copytree(tiny_model, workspace / "relative-llama", dirs_exist_ok=True)
    uri = (workspace / "relative.yml").as_uri()
    text = (
        "merge_method: passthrough\ndtype: bf16\nslices:\n  - sources:\n      - model: ./relative-llama\n"
        "        layer_rnage: [0, 1]\n"
    )
    open_doc(client, uri, text)
    live = await published(client, uri, 1)
    assert "model-not-found" not in {d.code for d in live}  # ./relative-llama resolved from the document's folder
    offered = {(a.diagnostics[0].code, a.title): a for d in live for a in await code_actions(client, uri, d) if a.is_preferred}
    assert {code for code, _ in offered} == {"dtype-value", "unknown-key"}
    preferred = list(offered.values())
    by_hand = apply_text_edits(text, [e for a in preferred for e in edits_of(a.edit, uri)])
    (action,) = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    action = await asyncio.wait_for(client.code_action_resolve_async(action), TIMEOUT)
    fixed = apply_text_edits(text, edits_of(action.edit, uri))
    assert fixed == by_hand == text.replace("bf16", "bfloat16").replace("layer_rnage", "layer_range")
    # the renamed layer_range is judged against the model's 2 layers: the model is found from here
    version = change_doc(client, uri, fixed)
    (after,) = of_rule(await published(client, uri, version), "layer-range")
    assert "leaves out the last layer (1)" in after.message
    close_doc(client, uri)


async def test_no_actions_away_from_diagnostics(client: LanguageClient, workspace):
    uri = (workspace / "quiet.yml").as_uri()
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n"
    open_doc(client, uri, text)
    await published(client, uri, 1)
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=3)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    assert not [a for a in result or [] if a.kind == types.CodeActionKind.QuickFix]
    close_doc(client, uri)


async def test_fixes_keep_crlf_line_ends(client: LanguageClient, workspace):
    text = "merge_method: linear\r\nmodels:\r\n  - model: org/a\r\n  - model: org/b\r\n"
    target, action, new_text, after = await _apply(client, workspace, "missing-required-parameter", text, "Add weight: 1.0")
    assert new_text == "merge_method: linear\r\nmodels:\r\n  - model: org/a\r\n    parameters:\r\n      weight: 1.0\r\n  - model: org/b\r\n"
    assert [d.range.start.line for d in of_rule(after, "missing-required-parameter")] == [5]
