"""## What it does
Points out per-model parameters given on the base model that the method never reads
for it: `weight`, `density`, `gamma` and `epsilon` of the task-arithmetic family,
nuslerp and multislerp are read only for the other models.

## Why is this bad?
It runs, but the values suggest the base is weighted or sparsified, and it is not.

## Example
```yaml
merge_method: ties
base_model: org/base
models:
  - model: org/base
    parameters: {weight: 0.5}
  - model: org/a
    parameters: {weight: 0.5}
```

Use instead: drop the base's parameters.
"""

from merge_core.method_kit.spec import Scope

from ..rule import Context, Rule

RULE = Rule("ML108", "base-parameter-ignored", "info", "A parameter set on the base model is never read")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None:
        return
    for group in view.groups:
        for inp in group.listed:
            if inp.params is None or not group.is_base(inp):
                continue
            for key, _ in inp.params.pairs:
                param = view.method.param(key.value) if isinstance(key.value, str) else None
                if param is not None and param.scope is Scope.NON_BASE:
                    ctx.report(
                        RULE,
                        key,
                        f"{view.method.name} does not read '{param.name}' for the base model; this value has no effect",
                    )
