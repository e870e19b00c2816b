"""`# mergelint: disable=RULE` comments, and the report of ones that suppress nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .document import Position, Range, Source
from .rule import Rule

_COMMENT = re.compile(r"(?:^|\s)#\s*mergelint:\s*(disable|disable-file)\s*=\s*([\w\-]+(?:\s*,\s*[\w\-]+)*)")

UNUSED = Rule("ML901", "unused-suppression", "warning", "A suppression comment suppresses nothing")
UNUSED.docs = """## What it does
Reports a `# mergelint: disable=RULE` comment that suppresses no diagnostic, or that
names a rule that does not exist.

## Why is this bad?
A stale suppression hides the next real problem on that line, and a misspelled rule
name suppresses nothing at all.

## Example
```yaml
dtype: bfloat16  # mergelint: disable=dtype-value
```

Use instead: remove the comment.
"""


@dataclass(eq=False)
class Suppression:
    line: int
    names: list[str]
    whole_file: bool
    range: Range
    used: set


def find(source: Source) -> list[Suppression]:
    found = []
    scalars = None
    for n, text in enumerate(source.lines):
        if "mergelint" not in text:
            continue
        match = _COMMENT.search(text)
        if match:
            names = [s.strip() for s in match.group(2).split(",")]
            rng = Range.of(n, match.start(0) + (1 if text[match.start(0)].isspace() else 0), n, match.end(0))
            if scalars is None:
                scalars = _scalar_spans(source)
            at = source.offset(rng.start)
            if any(start <= at < end for start, end in scalars):
                continue  # the text of a quoted or block scalar, not a comment
            found.append(Suppression(n, names, match.group(1) == "disable-file", rng, set()))
    return found


def _scalar_spans(source: Source) -> list[tuple[int, int]]:
    """Where the document's scalars lie (character offsets), as PyYAML's scanner reads them;
    up to the first scan error, past which a `#` counts as a comment. A block scalar's text
    starts on the line after its `|` or `>`, which may carry a comment."""
    import yaml

    spans = []
    try:
        for token in yaml.scan(source.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(token, yaml.ScalarToken):
                start = token.start_mark.index
                if token.style in ("|", ">"):
                    start = source.offset(Position(token.start_mark.line + 1, 0))
                spans.append((start, token.end_mark.index))
    except yaml.YAMLError:
        pass
    return spans


def apply(source: Source, diagnostics: list[Diagnostic], lookup) -> list[Diagnostic]:
    """Drop suppressed diagnostics; add one for each suppression that did nothing."""
    suppressions = find(source)
    if not suppressions:
        return diagnostics
    kept = []
    for diag in diagnostics:
        line = diag.range.start.line
        hit = None
        for sup in suppressions:
            if sup.whole_file or sup.line in (line, line - 1):
                for name in sup.names:
                    rule = lookup(name)
                    if rule is not None and rule.code == diag.code:
                        hit = (sup, name)
                        break
            if hit:
                break
        if hit:
            hit[0].used.add(hit[1])
        else:
            kept.append(diag)
    for sup in suppressions:
        for name in sup.names:
            if name in sup.used:
                continue
            what = "names no rule" if lookup(name) is None else "suppresses nothing here"
            kept.append(Diagnostic(UNUSED.code, UNUSED.name, UNUSED.severity, f"'{name}' in this suppression {what}", sup.range))
    return kept
