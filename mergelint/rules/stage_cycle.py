"""## What it does
Finds stages of a mergekit-multi stream that read each other's output in a circle: `a`
merges `b`, and `b` merges `a` (or a stage names itself as a model).

## Why is this bad?
No stage of the circle can run first. mergekit-multi stops with `Circular dependency
detected involving NAME` before merging anything.

## Example
```yaml
name: a
merge_method: linear
models: [{model: b, parameters: {weight: 1}}, {model: org/x, parameters: {weight: 1}}]
---
name: b
merge_method: linear
models: [{model: a, parameters: {weight: 1}}, {model: org/y, parameters: {weight: 1}}]
```

Use instead: merge from models that already exist, or from stages that come before.
"""

from merge_core.multi.stages import cycle
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML503", "stage-cycle", "error", "Stages of a mergekit-multi stream read each other in a circle",
            tools=(Tool.MULTI,))


@RULE.checker
def check(ctx: Context) -> None:
    found = cycle(ctx.stages.linked)
    if not found:
        return
    closing, target = ctx.stages.stage(found[-2]), found[-1]
    if closing.document != ctx.document.index:
        return
    where = next((u.node for u in ctx.stages.uses_of(target) if u.document == closing.document), closing.name_node)
    path = " -> ".join(found)
    why = f"stage '{target}' reads its own output" if len(found) == 2 else f"the stages form a cycle: {path}"
    ctx.report(RULE, where, f"{why}; mergekit-multi stops with 'Circular dependency detected involving {found[0]}'")
