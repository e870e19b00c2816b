"""## What it does
Finds merges that cannot change anything: a method that merges task vectors
(model minus base, as ties, dare_ties, task_arithmetic, model_stock do) whose only
model is the base itself.

## Why is this bad?
mergekit runs to the end and writes a copy of the base model, which looks like a merge.

## Example
```yaml
merge_method: dare_ties
base_model: org/base
models:
  - model: org/base
```

Use instead: list the fine-tuned models to merge into the base.
"""

from ..rule import Context, Rule

RULE = Rule("ML107", "no-op-merge", "warning", "The merge cannot change the base model")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None or not view.method.task_vectors:
        return
    for group in view.groups:
        if group.base is None or not group.inputs or any(i.ref is None for i in group.inputs):
            continue
        if all(group.is_base(i) for i in group.inputs):
            anchor = group.node.items[0] if group.kind == "models" and group.node.items else group.node
            ctx.report(
                RULE,
                anchor,
                f"the only model of {group.label} is the base model: {view.method.name} merges differences from "
                "the base, so the result is a copy of it",
            )
