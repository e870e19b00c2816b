"""The checks' documentation as docs/verify.md and `mergelint explain` show it, from each check
module's docstring (the one source: a test keeps docs/verify.md equal to `render()`)."""

from __future__ import annotations

from .check import Check


def body(check: Check) -> str:
    """The docstring as prose: "## What it does" dropped, "## Why is this bad?" as "Why it matters:"."""
    return check.docs.replace("## What it does\n", "").replace("## Why is this bad?\n", "Why it matters: ")


def render(checks: list[Check]) -> str:
    """Every check's section of docs/verify.md; a check that shares the previous one's docs points at it."""
    sections = []
    for i, check in enumerate(checks):
        text = "See the entry above." if i and check.docs == checks[i - 1].docs else body(check)
        sections.append(f"### {check.name} ({check.code}, {check.severity})\n\n{check.summary}.\n\n{text}\n")
    return "\n".join(sections)
