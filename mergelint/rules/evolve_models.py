"""## What it does
Checks a mergekit-evolve genome's `models` against its method: slerp needs two models (it
interpolates between the two heaviest in each layer group), and a search needs at least one
model that is not the base.

## Why is this bad?
slerp over one model fails on the first candidate (`topk` of two out of one); a genome whose
only model is the base searches weights the method never reads.

## Example
```yaml
genome:
  models: [org/a]
  merge_method: slerp
tasks: [my_task]
```

Use instead:
```yaml
genome:
  models: [org/a, org/b]
  merge_method: slerp
tasks: [my_task]
```
"""

from merge_core.evolve.language import BASE_REQUIRED, MODELS, SLERP, SLERP_MODELS
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML602", "evolve-models", "error", "The genome has too few models for its merge method",
            tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.evolve
    if not view.models:  # none, or not a list: invalid-value says so
        return
    key = view.genome.key_node(MODELS)
    if view.method == SLERP and len(view.models) < SLERP_MODELS:
        ctx.report(RULE, key, "slerp interpolates between two models: list at least two under models")
    elif view.method in BASE_REQUIRED and view.model_refs and all(r == view.base for r in view.model_refs):
        ctx.report(RULE, key, f"every model is the base: {view.method} merges task vectors against the base, so "
                   "there is nothing to search; list the models to merge into it", severity="warning")
