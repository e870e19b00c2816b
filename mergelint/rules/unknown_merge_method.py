"""## What it does
Checks that `merge_method` names one of mergekit's 20 merge methods.

## Why is this bad?
mergekit looks the method up only after it has downloaded every model, then stops with
`Unimplemented merge method dare-ties`. There are no aliases: `dare-ties` and
`task-arithmetic` are not accepted.

## Example
```yaml
merge_method: dare-ties
```

Use instead:
```yaml
merge_method: dare_ties
```
"""

from merge_core.methods import METHODS

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule
from ..suggest import closest

RULE = Rule("ML101", "unknown-merge-method", "error", "merge_method is not a mergekit merge method")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is not None:
        return
    node = view.method_node
    if node is None or not node.is_scalar or not isinstance(node.value, str):
        return
    suggestion = closest(node.value, METHODS, cutoff=0.5)
    if suggestion:
        fix = Fix(f"Change to {suggestion}", (replace_scalar(node, suggestion),), preferred=True)
        ctx.report(RULE, node, f"unknown merge method '{node.value}'; did you mean '{suggestion}'?", [fix])
    else:
        ctx.report(RULE, node, f"unknown merge method '{node.value}' (known: {', '.join(sorted(METHODS))})")
