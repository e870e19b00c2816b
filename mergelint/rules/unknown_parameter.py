"""## What it does
Finds names under `parameters:` that the chosen method never reads: typos (`nomalize`),
parameters of another method (`t` under task_arithmetic), invented ones
(`scaling_coefficient`), top-level keys written as parameters (`dtype`), and shared
parameters such as `t` or `normalize` written under one model, where mergekit never
looks for them.

## Why is this bad?
`parameters:` accepts any name and mergekit reads only the ones its method declares,
so all of these are dropped without a message and the merge runs with defaults.

## Example
```yaml
merge_method: ties
parameters:
  nomalize: true
```

Use instead:
```yaml
merge_method: ties
parameters:
  normalize: true
```
"""

from merge_core.language import SETTING_KEYS
from merge_core.method_kit.spec import Scope
from merge_core.methods import METHODS

from ..diagnostics import Fix
from ..edits import replace_scalar, slot
from ..rule import Context, Rule
from ..suggest import closest

RULE = Rule("ML103", "unknown-parameter", "warning", "The merge method does not read this parameter")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None:
        return
    for params, per_model in view.parameter_maps():
        for key, _ in params.pairs:
            _check_name(ctx, params, key, per_model)


def _check_name(ctx: Context, params, key, per_model: bool) -> None:
    method = ctx.view.method
    name = key.value
    if not isinstance(name, str):
        return
    param = method.param(name)
    if param is not None:
        if per_model and param.scope is Scope.SHARED:
            ctx.report(
                RULE,
                key,
                f"'{name}' is a shared parameter of {method.name}: mergekit reads it only from slice, module or "
                "top-level parameters, never from a model's own",
            )
        return
    candidates = [p.name for p in method.params if not per_model or p.scope.per_model]
    if name in SETTING_KEYS:
        ctx.report(RULE, key, f"'{name}' is a top-level key, not a parameter; under parameters: mergekit ignores it")
        return
    owners = sorted(m.name for m in METHODS.values() if m.param(name))
    suggestion = closest(name, candidates, cutoff=0.7)
    fixes = []
    if owners:
        message = f"'{name}' is a parameter of {', '.join(owners)}, not of {method.name}; mergekit ignores it"
    elif not method.params:
        message = f"{method.name} takes no parameters; mergekit ignores '{name}'"
    else:
        message = f"{method.name} has no parameter '{name}'; mergekit ignores it"
    if suggestion and suggestion != name:
        message += f"; did you mean '{suggestion}'?"
        fixes.append(Fix(f"Rename to '{suggestion}'", (replace_scalar(key, suggestion),), preferred=True, writes=frozenset({slot(params, suggestion)})))
    elif candidates and not owners:
        message += f" (it reads: {', '.join(candidates)})"
    ctx.report(RULE, key, message, fixes)
