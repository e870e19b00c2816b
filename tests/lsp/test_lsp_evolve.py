"""A mergekit-evolve config in the editor: its own diagnostics, linked to their rules, and their fixes."""

from __future__ import annotations

import pytest
from pytest_lsp import LanguageClient

from lsp_support import apply_text_edits, close_doc, code_actions, edits_of, of_rule, open_doc, published, rules

pytestmark = pytest.mark.asyncio(loop_scope="module")

EVOLVE = "genome:\n  models: [org/a, org/b]\n  merge_method: tise\n  base_model: org/a\ntasks:\n  - gsm8k\nlimt: 5\n"


async def test_an_evolve_config_gets_its_own_diagnostics_and_fixes(client: LanguageClient, workspace):
    uri = (workspace / "evolve.yml").as_uri()
    open_doc(client, uri, EVOLVE)
    diags = await published(client, uri, 1)
    # (and model-not-found's one info: the Hub models are not in the cache)
    assert sorted(rules(diags)) == ["benchmark-task", "evolve-merge-method", "model-not-found", "unknown-key"]
    (method,) = of_rule(diags, "evolve-merge-method")
    assert (method.range.start.line, method.range.start.character) == (2, 16)
    assert method.data["code"] == "ML600" and method.code_description.href.endswith("#ml600")
    (action,) = [a for a in await code_actions(client, uri, method) if a.title.startswith("Change to")]
    assert apply_text_edits(EVOLVE, edits_of(action.edit, uri)) == EVOLVE.replace("tise", "ties")
    close_doc(client, uri)
