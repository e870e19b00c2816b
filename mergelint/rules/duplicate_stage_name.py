"""## What it does
Finds two documents of a mergekit-multi stream with the same `name:`.

## Why is this bad?
Each name is a stage: its output folder (`INTERMEDIATE_DIR/NAME`) and the model later
stages read. mergekit-multi stops with `Duplicate merge name NAME` before merging anything;
which of the two a later reference meant cannot be told.

## Example
```yaml
name: blend
merge_method: linear
models: [{model: org/a, parameters: {weight: 1}}, {model: org/b, parameters: {weight: 1}}]
---
name: blend
merge_method: slerp
base_model: blend
models: [{model: blend}, {model: org/c}]
parameters: {t: 0.5}
```

Use instead: a name of its own for each stage (`blend`, `blend-slerp`).
"""

from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML501", "duplicate-stage-name", "error", "Two stages of a mergekit-multi stream have the same name",
            tools=(Tool.MULTI,))


@RULE.checker
def check(ctx: Context) -> None:
    stage = ctx.stages.of_document(ctx.document.index)
    if stage is None or stage.name is None:
        return
    first = ctx.stages.stage(stage.name)
    if first is not stage:
        line = first.name_node.range.start.line + 1
        ctx.report(RULE, stage.name_node, f"stage name '{stage.name}' is already the name of the stage on line {line}: "
                   f"mergekit-multi stops with 'Duplicate merge name {stage.name}'")
