"""## What it does
Checks the genome options slerp has no use for: `filters` and `smooth`, which mergekit-evolve
refuses with slerp, and `normalize` and `allow_negative_weights`, which it ignores (slerp's
genome picks two models and a `t` per layer group, nothing else).

## Why is this bad?
mergekit-evolve stops at start-up on "smooth is not supported for slerp merge method" or
"tensor name filtering is not supported for slerp merge method"; the ignored options suggest
a search that does not happen.

## Example
```yaml
genome:
  models: [org/a, org/b]
  merge_method: slerp
  smooth: true
tasks: [my_task]
```

Use instead: a method that supports it (`merge_method: linear`), or no `smooth:`.
"""

from merge_core.evolve.language import FILTERS, SLERP, SLERP_IGNORES, SLERP_REFUSES
from merge_core.method_kit.spec import ParamType
from merge_core.tools import Tool

from ..evolve_view import read
from ..rule import Context, Rule

RULE = Rule("ML604", "evolve-slerp-options", "error", "The genome sets an option slerp does not support",
            tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.evolve
    if view.method != SLERP:
        return
    for name in (*SLERP_REFUSES, *SLERP_IGNORES):
        node = view.setting(name)
        if not _set(name, node):
            continue
        key = view.genome.key_node(name)
        if name in SLERP_REFUSES:
            ctx.report(RULE, key, f"mergekit-evolve does not support {name} with slerp and stops at start-up; "
                       "remove it or use linear, task_arithmetic, ties or dare_ties")
        else:
            ctx.report(RULE, key, f"slerp does not use {name}: its genome is two models and t per layer group",
                       severity="warning")


def _set(name: str, node) -> bool:
    """Whether an option is on as mergekit reads it (an empty filter list, false and null are off;
    a value of the wrong type is invalid-value's)."""
    if node is None:
        return False
    if name == FILTERS:
        return node.is_seq and bool(node.items)
    return bool(read(node, ParamType.BOOL))
