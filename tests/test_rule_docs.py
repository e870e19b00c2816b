"""Rule documentation: docs/rules.md is generated from the rule modules, every link into it lands on a
real heading, and exactly the rules with unsafe fixes say why in a "Fix safety" section (ruff's heading)."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from checker_support import ROOT, RULE_FIXTURES
from mergelint.cli import main
from mergelint.rule import DOCS_PAGE, DOCS_URL
from mergelint.rules import RULES
from mergelint.suppressions import UNUSED

EVERY = [*RULES, UNUSED]
PAGE = ROOT / DOCS_PAGE
MODEL_GOLDEN = ROOT / "tests" / "models" / "golden"


def _github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as
    hyphens, a repeated one numbered (-1, -2, ...); headings inside code blocks are none."""
    anchors: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        heading = re.match(r"#{1,6} (.+)", line)
        if fenced or not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        found, n = slug, 0
        while found in anchors:
            n += 1
            found = f"{slug}-{n}"
        anchors.add(found)
    return anchors


def test_the_page_is_generated_from_the_rules():
    printed = CliRunner().invoke(main, ["rules", "--format", "markdown"]).stdout
    assert PAGE.read_text(encoding="utf-8") == printed, "regenerate: mergelint rules --format markdown > docs/rules.md"


def test_every_rule_link_is_a_heading_of_the_page():
    assert DOCS_URL.endswith(f"/blob/main/{DOCS_PAGE}") and PAGE.is_file()
    anchors = _github_anchors(PAGE.read_text(encoding="utf-8"))
    for rule in EVERY:
        page, _, anchor = rule.url.partition("#")
        assert page == DOCS_URL and anchor in anchors, f"{rule.name}: {rule.url} lands on no heading"


@pytest.mark.parametrize("rule", EVERY, ids=lambda r: r.name)
def test_explain_prints_the_link(rule):
    assert CliRunner().invoke(main, ["explain", rule.code]).stdout.endswith(f"\n\nDocumentation: {rule.url}\n")


def _rules_with_unsafe_fixes() -> set[str]:
    """The rules whose golden snapshots (static, and over tiny models) hold an unsafe fix."""
    found = set()
    for snapshot in [*RULE_FIXTURES.glob("*.json"), *MODEL_GOLDEN.glob("*.json")]:
        for d in json.loads(snapshot.read_text(encoding="utf-8")):
            if any(f["applicability"] == "unsafe" for f in d["fixes"]):
                found.add(d["rule"])
    return found


def test_fix_safety_sections_are_on_exactly_the_rules_with_unsafe_fixes():
    unsafe = _rules_with_unsafe_fixes()
    assert unsafe  # the snapshots were read
    documented = {r.name for r in EVERY if "\n## Fix safety\n" in r.docs}
    assert documented == unsafe, f"missing: {sorted(unsafe - documented)}; not unsafe: {sorted(documented - unsafe)}"
    for rule in EVERY:
        if rule.name in unsafe:
            section = rule.docs.split("\n## Fix safety\n", 1)[1]
            assert section.startswith("This rule's fix") and "unsafe" in section and "fix-all" in section
