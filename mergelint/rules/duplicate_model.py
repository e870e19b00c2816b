"""## What it does
Finds the same model reference listed twice in one merge group (the `models:` list or
one slice's sources).

## Why is this bad?
mergekit 0.1.5 stops at plan time with `Duplicate merge inputs`; older versions
silently collapsed the two entries into one, so the weights were not what they said.

## Example
```yaml
models:
  - model: org/a
    parameters: {weight: 0.1}
  - model: org/a
    parameters: {weight: 1.0}
```

Use instead: list each model once, with the weight you mean.
"""

from ..rule import Context, Rule

RULE = Rule("ML204", "duplicate-model", "error", "The same model is listed twice in one merge")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    for group in view.groups:
        first: dict[str, object] = {}
        for inp in group.listed:
            if inp.key is None:
                continue
            if inp.key in first:
                line = first[inp.key].model_node.range.start.line + 1
                ctx.report(
                    RULE,
                    inp.model_node,
                    f"'{inp.key}' is already an input of {group.label} (line {line}); mergekit refuses duplicate inputs",
                )
            else:
                first[inp.key] = inp
