"""## What it does
Checks that methods which merge relative to a base model have one: slerp, the
task-arithmetic family (ties, dare_ties, della, ...), sce, ram, ramplus_tl,
model_stock, nearswap and arcee_fusion. With `slices:`, the base (top-level or the
slice's own) must also be one of each slice's sources, because mergekit adds it
automatically only under `models:`.

## Why is this bad?
mergekit fails at plan time, after downloading every model, with `Merge method requires
a base input` or `Base input is not present in merge inputs`.

## Example
```yaml
merge_method: ties
models:
  - model: org/a
    parameters: {weight: 1.0}
```

Use instead:
```yaml
merge_method: ties
base_model: org/base
models:
  - model: org/a
    parameters: {weight: 1.0}
```

## Fix safety
This rule's fix is marked as unsafe, as it picks the first model as the base: the base
decides what every task vector is taken against, and only the author knows which model
it should be. It is offered as a quick fix in the editor only: it is not preferred, so
`mergelint check --fix` leaves it even with `--unsafe-fixes`, and fix-all leaves it too.
"""

from merge_core.method_kit.spec import BasePolicy

from ..diagnostics import Fix
from ..edits import add_to_mapping, scalar_text
from ..rule import Context, Rule

RULE = Rule("ML105", "base-model-required", "error", "The merge method needs a base model among its inputs")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None or not view.groups:
        return
    method = view.method
    if method.base is BasePolicy.REQUIRED and all(g.base_node is None for g in view.groups):
        first = next((i.key for g in view.groups for i in g.inputs if i.key), None)
        fixes = []
        if first:
            edit = add_to_mapping(ctx.source, view.root, "base_model", scalar_text(first))
            fixes.append(Fix(f"Add base_model: {first}", (edit,), safe=False))
        ctx.report(RULE, view.method_node, f"{method.name} needs a base_model: it merges the other models relative to it", fixes)
        return
    if method.base is BasePolicy.IGNORED:
        return
    for group in view.groups:
        if group.kind != "slice":
            continue  # under models: mergekit adds the top-level base itself
        anchor = group.base_node if group.base_from_slice else (group.node.pairs[0][0] if group.node.pairs else group.node)
        if group.base is None:
            if group.base_node is None and method.base is BasePolicy.REQUIRED:
                ctx.report(RULE, anchor, f"{group.label} has no base model, and {method.name} needs one")
        elif not any(group.is_base(i) for i in group.inputs):
            ctx.report(
                RULE,
                anchor,
                f"base model '{group.base}' is not one of the sources of {group.label}: with slices, mergekit "
                "does not add it, and fails with 'Base input is not present in merge inputs'",
            )
