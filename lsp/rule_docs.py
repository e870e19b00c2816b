"""How a rule is shown in the editor (hover on a suppression comment, completion of rule names):
its summary and the link to its entry in docs/rules.md."""

from __future__ import annotations

from mergelint.rule import Rule
from mergelint.rules import lookup


def summary(rule: Rule) -> str:
    return f"{rule.summary}. [Documentation]({rule.url})"


def named(names: list[str]) -> str:
    """Each rule a suppression comment names, as a Markdown list; a name that is no rule says so."""
    entries = []
    for name in names:
        rule = lookup(name)
        if rule is None:
            entries.append(f"- `{name}`: no such rule (`mergelint rules` lists them)")
        else:
            entries.append(f"- **{rule.code}** `{rule.name}` ({rule.severity}): {summary(rule)}")
    return "\n".join(entries)
