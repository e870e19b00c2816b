"""docs/rules.md: every rule's documentation on one page, from the rule modules' docstrings.

`mergelint rules --format markdown` prints it; a test keeps the checked-in page equal to it, and
each rule's `url` points at its section (a heading that is the rule's code).
"""

from __future__ import annotations

from .rule import Rule

_INTRO = """\
# Rules

Every rule `mergelint check` and the editor report, generated from the rule modules' docstrings by
`mergelint rules --format markdown > docs/rules.md` (edit the docstring, then regenerate this page).
`mergelint explain RULE` prints one entry; each diagnostic in the editor links to its entry here.
A rule whose fix may not be what was meant has a *Fix safety* section: such fixes are applied by
`mergelint check --fix --unsafe-fixes` only, never by fix-all in the editor.
"""


def render(rules: list[Rule]) -> str:
    index = "\n".join(f"| [{r.code}](#{r.code.lower()}) | `{r.name}` | {r.severity} | {r.summary} |" for r in rules)
    table = f"| Code | Name | Severity | Summary |\n| --- | --- | --- | --- |\n{index}\n"
    return "\n".join([_INTRO, table, *(_section(r) for r in rules)])


def _section(rule: Rule) -> str:
    aliases = f"; formerly `{'`, `'.join(rule.aliases)}`" if rule.aliases else ""
    return f"## {rule.code}\n\n`{rule.name}` ({rule.severity}{aliases}): {rule.summary}.\n\n{_demoted(rule.docs)}\n"


def _demoted(docs: str) -> str:
    """The docstring's `## ` headings one level down, under the rule's own; code blocks untouched."""
    lines, fenced = [], False
    for line in docs.splitlines():
        fenced ^= line.startswith("```")
        lines.append(f"#{line}" if line.startswith("## ") and not fenced else line)
    return "\n".join(lines)
