"""## What it does
Reports text that is not valid YAML, as PyYAML's `safe_load` (which mergekit uses) reads it.

## Why is this bad?
mergekit stops before doing anything. Typical causes are a tab used for
indentation, a key indented deeper than its list item, or a document that
starts indented (common when a config is copied out of a README).

## Example
```yaml
models:
  - model: org/a
      parameters:
    weight: 1.0
```

Use instead:
```yaml
models:
  - model: org/a
    parameters:
      weight: 1.0
```
"""

from ..rule import ALL_TOOLS, Context, Needs, Rule

RULE = Rule("ML001", "yaml-syntax", "error", "The file is not valid YAML", needs=Needs.DOCUMENT, tools=ALL_TOOLS)


@RULE.checker
def check(ctx: Context) -> None:
    problem = ctx.document.problem
    if problem is not None:
        ctx.report(RULE, problem.range, problem.message)
