"""## What it does
Checks a mergekit-evolve genome's `merge_method`: mergekit-evolve searches only linear,
task_arithmetic, ties, dare_ties and slerp (the methods its genome knows the parameters of),
not every method mergekit-yaml merges with.

## Why is this bad?
mergekit-evolve refuses any other method with a bare "Invalid merge method" when it loads
the config.

## Example
```yaml
genome:
  models: [org/a, org/b]
  merge_method: dare_linear
  base_model: org/a
tasks: [my_task]
```

Use instead:
```yaml
genome:
  models: [org/a, org/b]
  merge_method: dare_ties
  base_model: org/a
tasks: [my_task]
```

A misspelt method is fixed to the supported one closest in spelling (safe: mergekit-evolve
runs no other); a mergekit-yaml method gets no fix, as which supported one fits is a choice.
"""

from merge_core.evolve.language import METHOD_PARAMS
from merge_core.methods import METHODS
from merge_core.tools import Tool

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule
from ..suggest import closest

RULE = Rule("ML600", "evolve-merge-method", "error", "mergekit-evolve does not search this merge method",
            tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    node = ctx.evolve.method_node
    method = ctx.evolve.method
    if method is None or method in METHOD_PARAMS:
        return
    supported = ", ".join(METHOD_PARAMS)
    if method in METHODS:  # a choice, not a typo: which supported method fits is the user's call
        ctx.report(RULE, node, f"mergekit-evolve does not search {method}, a mergekit-yaml method (supported: "
                   f"{supported})")
        return
    suggestion = closest(method, METHOD_PARAMS, cutoff=0.5)
    if suggestion:
        fix = Fix(f"Change to {suggestion}", (replace_scalar(node, suggestion),), preferred=True)
        ctx.report(RULE, node, f"'{method}' is no merge method; did you mean '{suggestion}'? (supported: "
                   f"{supported})", [fix])
    else:
        ctx.report(RULE, node, f"'{method}' is no merge method (supported: {supported})")
