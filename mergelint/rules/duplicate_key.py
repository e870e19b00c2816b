"""## What it does
Finds a key given twice in the same mapping.

## Why is this bad?
PyYAML keeps the last value without a word, so the first one (often the one the
author edited) has no effect.

## Example
```yaml
parameters:
  weight: 0.3
  weight: 0.7
```

Use instead:
```yaml
parameters:
  weight: 0.7
```
"""

from ..rule import ALL_TOOLS, Context, Needs, Rule

# Every mergekit command reads its file with PyYAML, whatever the document holds.
RULE = Rule("ML005", "duplicate-key", "warning", "A key appears twice; the last one wins", needs=Needs.DOCUMENT,
            tools=ALL_TOOLS)


@RULE.checker
def check(ctx: Context) -> None:
    root = ctx.document.root
    if root is None:
        return
    for node in root.collections():
        pairs = node.pairs
        if len(pairs) < 2:
            continue
        try:
            if len({key.value for key, _ in pairs}) == len(pairs):
                continue  # no two keys alike (merged-in ones included): nothing to report here
        except TypeError:
            pass
        # Only keys written in this mapping: one that overrides a key merged in with `<<`
        # is how merge keys are meant to be used, not a duplicate.
        own = [key for key, _ in node.pairs if node.range.start <= key.range.start <= node.range.end]
        last: dict = {}
        for key in own:
            try:
                last[key.value] = key
            except TypeError:
                continue
        for key in own:
            winner = last.get(key.value)
            if winner is not None and winner is not key:
                line = winner.range.start.line + 1
                ctx.report(RULE, key, f"'{key.value}' is given again on line {line}; only that later value is used")
