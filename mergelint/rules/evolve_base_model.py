"""## What it does
Checks a mergekit-evolve genome's `base_model` against its method: ties, dare_ties and
task_arithmetic need one; linear and slerp do not use it, and a base that is not one of the
`models` breaks every candidate merge of theirs.

## Why is this bad?
Without a base, mergekit-evolve refuses ties, dare_ties and task_arithmetic at start-up.
With linear or slerp, mergekit-evolve adds a base that is not listed as one more source of
each merge: linear then fails on its missing `weight` and slerp on a third input, in every
evaluation, after the models are downloaded. Listed among the models, it only adds nothing.
Conversely, ties, dare_ties and task_arithmetic never read the base's own weight (and
density): a base listed among their models adds genes the search varies for nothing.

## Example
```yaml
genome:
  models: [org/a, org/b]
  merge_method: ties
tasks: [my_task]
```

Use instead:
```yaml
genome:
  models: [org/a, org/b]
  merge_method: ties
  base_model: org/base
tasks: [my_task]
```
"""

from merge_core.evolve.language import BASE_MODEL, BASE_REQUIRED, MERGE_METHOD, METHOD_PARAMS, SLERP
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML601", "evolve-base-model", "error", "The genome's base_model does not fit its merge method",
            tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.evolve
    method = view.method
    if method not in METHOD_PARAMS:
        return
    if method in BASE_REQUIRED:
        if view.base_node is None or view.base_node.value is None:
            where = view.genome.key_node(MERGE_METHOD)
            ctx.report(RULE, where, f"{method} needs a base_model in the genome: mergekit-evolve refuses it without one")
        elif any(ref != view.base for ref in view.model_refs):  # (only the base: evolve-models says so)
            _base_listed(ctx, method)
        return
    if view.base is None:
        return
    key = view.genome.key_node(BASE_MODEL)
    if view.base_listed():
        ctx.report(RULE, key, f"{method} does not use base_model: the model is merged as one of the models",
                   severity="warning")
        return
    failure = "a third input (slerp takes two)" if method == SLERP else "the base's missing weight"
    ctx.report(RULE, key, f"base_model '{view.base}' is not one of the models: mergekit-evolve adds it to every "
               f"{method} merge, which then fails on {failure}; list it under models or remove it")


def _base_listed(ctx: Context, method: str) -> None:
    view = ctx.evolve
    genes = " and ".join(METHOD_PARAMS[method])
    for node, ref in view.models:
        if ref == view.base:
            ctx.report(RULE, node, f"the base is listed in models: {method} never reads the base's {genes}, so the "
                       "search varies genes that change nothing; list only the models merged into it",
                       severity="warning")
