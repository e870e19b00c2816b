"""Code actions asked for right after an edit: answered for the version the request is about.

An editor sends the edit and, in the same breath, code action requests whose positions
refer to the edited text (and whose `context.diagnostics` are still the ones of the text
before). The answer must come from the check of the newest version, whether that check
has finished, is running, or waits behind the check of an older version.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import TIMEOUT, apply_text_edits, close_doc, code_actions, edits_of, of_rule, open_doc, published

pytestmark = pytest.mark.asyncio(loop_scope="module")

TITLE = "Add weight: 1.0"
WEIGHT = "    parameters:\n      weight: 1.0\n"
MISSING = "missing-required-parameter"


def _cursor(line: int, character: int) -> types.Range:
    at = types.Position(line=line, character=character)
    return types.Range(start=at, end=at)


def _ask(client: LanguageClient, uri: str, where: types.Range, diagnostics, kind: types.CodeActionTriggerKind):
    return client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=list(diagnostics), trigger_kind=kind),
        )
    )


def _change(client: LanguageClient, uri: str, version: int, edits: list[types.TextEdit]) -> None:
    """The edit as VS Code sends an applied quick fix: incremental changes."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits],
        )
    )


def _weight_fix(answer, text: str, uri: str) -> str:
    """The text after the answer's "Add weight: 1.0" (which must be there, once)."""
    chosen = [a for a in answer or [] if a.title == TITLE]
    assert len(chosen) == 1, [a.title for a in answer or []]
    return apply_text_edits(text, edits_of(chosen[0].edit, uri))


async def test_second_fix_asked_for_at_once_after_the_first(client: LanguageClient, workspace):
    """The VS Code end-to-end scenario: apply "Add weight: 1.0" to org/a, then at once Ctrl+. on org/b."""
    broken = "models:\n  - model: org/a\n  - model: org/b\nmerge_method: linear\ndtype: float16\n"
    fixed = broken.replace("org/a\n", "org/a\n" + WEIGHT).replace("org/b\n", "org/b\n" + WEIGHT)
    uri = (workspace / "after-edit.yml").as_uri()
    open_doc(client, uri, broken)
    old = of_rule(await published(client, uri, 1), MISSING)
    assert [d.range.start.line for d in old] == [1, 2]
    first = [a for a in await code_actions(client, uri, old[0]) if a.title == TITLE][0]
    edits = edits_of(first.edit, uri)
    text = apply_text_edits(broken, edits)
    _change(client, uri, 2, edits)
    # no await in between: the check of version 2 has not even started when these arrive;
    # org/b moved from line 2 to line 4, and the client's diagnostics are still version 1's
    on_b = _cursor(4, 13)
    requests = [
        # after applying the fix, where the cursor still is
        _ask(client, uri, _cursor(1, 13), old, types.CodeActionTriggerKind.Automatic),
        _ask(client, uri, on_b, old[1:], types.CodeActionTriggerKind.Automatic),
        _ask(client, uri, on_b, [], types.CodeActionTriggerKind.Invoked),  # Ctrl+.
    ]
    at_a, *at_b = await asyncio.wait_for(asyncio.gather(*requests), TIMEOUT)
    assert not [a for a in at_a or [] if a.title == TITLE], "a fix for the weight org/a has now"
    for answer in at_b:
        assert _weight_fix(answer, text, uri) == fixed
    close_doc(client, uri)


async def test_actions_come_from_the_newest_check_while_an_older_one_runs(client: LanguageClient, workspace):
    """An edit that arrives while the previous version is being checked: the answer waits for the
    check of the edited text, and never maps the request's range onto the older text (where the
    line under the cursor holds another model)."""
    count = 1500  # a check of some tens of milliseconds: the edit and the request arrive during it
    broken = "merge_method: linear\nmodels:\n" + "".join(f"  - model: org/m{i}\n" for i in range(count))
    uri = (workspace / "long-after-edit.yml").as_uri()
    open_doc(client, uri, broken)
    # version 2, sent while version 1 is checked: org/m0 gets its weight, org/m1 moves from line 3 to 5
    text = broken.replace("org/m0\n", "org/m0\n" + WEIGHT, 1)
    _change(client, uri, 2, [types.TextEdit(range=_cursor(3, 0), new_text=WEIGHT)])
    answer = await asyncio.wait_for(_ask(client, uri, _cursor(5, 13), [], types.CodeActionTriggerKind.Invoked), TIMEOUT)
    assert _weight_fix(answer, text, uri) == text.replace("org/m1\n", "org/m1\n" + WEIGHT, 1)
    again = await asyncio.wait_for(_ask(client, uri, _cursor(2, 13), [], types.CodeActionTriggerKind.Invoked), TIMEOUT)
    assert not [a for a in again or [] if a.title == TITLE], "org/m0 has its weight in version 2"
    diagnostics = of_rule(await published(client, uri, 2), MISSING)
    assert len(diagnostics) == count - 1 and diagnostics[0].range.start.line == 5
    close_doc(client, uri)


async def test_ctrl_dot_does_not_run_fix_all(client: LanguageClient, workspace):
    """Ctrl+. (an invoked request without `only`) is answered without fixing the whole document:
    fix-all comes without its edit, which codeAction/resolve works out when it is chosen, for the
    document as it is then."""
    broken = "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n"
    uri = (workspace / "lazy-fix-all.yml").as_uri()
    open_doc(client, uri, broken)
    old = of_rule(await published(client, uri, 1), MISSING)
    ask = _ask(client, uri, old[0].range, old[:1], types.CodeActionTriggerKind.Invoked)
    answer = await asyncio.wait_for(ask, TIMEOUT)
    (fix_all,) = [a for a in answer if a.kind == "source.fixAll.mergelint"]
    assert fix_all.edit is None and fix_all.data
    resolved = await asyncio.wait_for(client.code_action_resolve_async(fix_all), TIMEOUT)
    fixed = broken.replace("org/a\n", "org/a\n" + WEIGHT).replace("org/b\n", "org/b\n" + WEIGHT)
    assert apply_text_edits(broken, edits_of(resolved.edit, uri)) == fixed
    close_doc(client, uri)
