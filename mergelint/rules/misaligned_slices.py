"""## What it does
Finds a merging slice (any method but passthrough) whose sources start at different
layers, such as `[0, 24]` of one model with `[8, 32]` of another.

## Why is this bad?
mergekit merges layer i of the first source with layer i + 8 of the second, and the
output has only as many layers as one source spans. That is rarely what is meant:
stacking layers is done with passthrough and one source per slice.

## Example
```yaml
merge_method: slerp
slices:
  - sources:
      - model: org/a
        layer_range: [0, 24]
      - model: org/b
        layer_range: [8, 32]
```

Use instead: the same range from each model (`[0, 32]` and `[0, 32]`), or passthrough
slices to stack layers.
"""

from ..rule import Context, Rule

RULE = Rule("ML205", "misaligned-slices", "warning", "A merging slice pairs different layers of its sources")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None or view.method.name == "passthrough":
        return
    for group in view.groups:
        ranged = group.ranged
        if len(ranged) < 2:
            continue
        start = ranged[0].layer_range[0]
        for inp in ranged[1:]:
            if inp.layer_range[0] != start:
                offset = inp.layer_range[0] - start
                ctx.report(
                    RULE,
                    inp.layer_range_node,
                    f"layer i of '{ranged[0].key}' is merged with layer i{offset:+d} of '{inp.key}'; the output keeps "
                    "only the slice's length in layers (to stack layers, use passthrough with one source per slice)",
                )
