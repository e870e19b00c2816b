"""## What it does
Checks each mergekit-evolve task's `weight`: the search maximises the sum of the tasks'
scores times their weights, so a weight of 0 drops the task, a negative one makes the search
worsen it, and `.nan` or `.inf` (which mergekit takes) makes every score the same.

## Why is this bad?
The task is still evaluated for every candidate (minutes of GPU time each), but counts for
nothing, against the merge, or makes the scores incomparable.

## Example
```yaml
genome:
  models: [org/a, org/b]
  merge_method: linear
tasks:
  - name: my_task
    weight: 0
```

Use instead: a positive weight, or no such task.
"""

import math

from merge_core.method_kit.spec import ParamType
from merge_core.tools import Tool

from ..evolve_view import read
from ..rule import Context, Rule

RULE = Rule("ML607", "evolve-task-weight", "warning", "A task's weight drops it from the search or works against it",
            tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    for task in ctx.evolve.tasks:
        weight = read(task.weight, ParamType.FLOAT)
        if weight is None or 0 < weight < math.inf:
            continue
        if not math.isfinite(weight):
            effect = "makes every candidate's score the same non-number, so the search compares nothing"
        elif weight == 0:
            effect = "counts for nothing"
        else:
            effect = "is minimised: the search makes the merge worse at it"
        ctx.report(RULE, task.weight, f"task '{task.name}' has weight {task.weight.value}: it is evaluated for every "
                   f"candidate and {effect}")
