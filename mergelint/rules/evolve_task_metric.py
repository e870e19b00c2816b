"""## What it does
Checks each mergekit-evolve task's `metric` has lm-eval's `metric,filter` form (`acc,none`,
`exact_match,strict-match`): the key mergekit-evolve reads the task's score under.

## Why is this bad?
lm-eval names every result `metric,filter`. A metric written without its filter (`acc`) is
no key of the results, and mergekit-evolve fails with a KeyError after the first candidate
has been merged and evaluated.

## Example
```yaml
genome:
  models: [org/a, org/b]
  merge_method: linear
tasks:
  - name: my_task
    metric: acc
```

Use instead:
```yaml
genome:
  models: [org/a, org/b]
  merge_method: linear
tasks:
  - name: my_task
    metric: acc,none
```

## Fix safety
This rule's fix, adding lm-eval's default filter `none`, is unsafe: a task whose results
are filtered (`strict-match`, `flexible-extract`) names another filter, so `--fix` and the
editor's fix-all apply it only with unsafe fixes allowed.
"""

from merge_core.tools import Tool

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule

RULE = Rule("ML605", "evolve-task-metric", "error", "A task's metric is not lm-eval's metric,filter",
            tools=(Tool.EVOLVE,))

_NO_FILTER = "none"


@RULE.checker
def check(ctx: Context) -> None:
    for task in ctx.evolve.tasks:
        node = task.metric
        if node is None or not isinstance(node.value, str):
            continue
        metric, comma, filter_ = node.value.partition(",")
        if comma and metric.strip() and filter_.strip():
            continue
        fixes = []
        if metric.strip() and not comma:
            meant = f"{metric.strip()},{_NO_FILTER}"
            fixes.append(Fix(f"Change to {meant}", (replace_scalar(node, meant),), safe=False, preferred=True))
        ctx.report(RULE, node, f"metric '{node.value}' is not metric,filter as lm-eval names results (like "
                   "acc,none): mergekit-evolve fails on it after the first evaluation", fixes)
