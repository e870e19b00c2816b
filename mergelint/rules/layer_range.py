"""## What it does
Checks each source's `layer_range: [start, end]`. The range is half-open: it takes
layers `start` to `end - 1`, so `[0, 32]` is all 32 layers of a 32-layer model. It
reports a negative start, an empty or reversed range (`[4, 4]`, `[5, 3]`, `[0, -1]`),
and, between consecutive slices that take layers from the same model, a layer that is
skipped because the previous end was read as inclusive (`[0, 16]` then `[17, 32]`).

## Why is this bad?
A negative start fails mid-merge (`Tensor model.layers.-1... required but not
present`). An empty range silently contributes no layers, and a gap silently drops a
layer from the output.

## Example
```yaml
slices:
  - sources:
      - model: org/a
        layer_range: [0, 16]
  - sources:
      - model: org/a
        layer_range: [17, 32]
```

Use instead:
```yaml
slices:
  - sources:
      - model: org/a
        layer_range: [0, 16]
  - sources:
      - model: org/a
        layer_range: [16, 32]
```
"""

from ..rule import Context, Rule

RULE = Rule("ML202", "layer-range", "error", "A layer_range is negative, empty, or skips layers")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view is None:
        return
    previous = None
    for group in view.groups:
        if group.kind != "slice":
            continue
        for inp in group.inputs:
            _check_range(ctx, inp)
        single = group.inputs[0] if len(group.inputs) == 1 else None
        if single is not None and single.layer_range and previous is not None and previous.layer_range:
            if single.key == previous.key and single.layer_range[0] == previous.layer_range[1] + 1:
                gap = previous.layer_range[1]
                ctx.report(
                    RULE,
                    single.layer_range_node.items[0],
                    f"layer {gap} of '{single.key}' is skipped: the previous slice ends at {gap}, which is exclusive "
                    f"(it takes layers up to {gap - 1}); start this one at {gap} to keep it",
                    severity="warning",
                )
        previous = single


def _check_range(ctx: Context, inp) -> None:
    if inp.layer_range is None:
        return
    start, end = inp.layer_range
    node = inp.layer_range_node
    if start < 0:
        ctx.report(RULE, node.items[0], f"layer_range starts at {start}: layers are numbered from 0, and mergekit fails looking for layer {start}")
    elif end < 0:
        ctx.report(
            RULE,
            node.items[1],
            f"layer_range end {end} does not mean 'the last layer': [{start}, {end}] is empty and adds no layers; "
            "give the layer count (the end is exclusive)",
            severity="warning",
        )
    elif end <= start:
        ctx.report(
            RULE,
            node,
            f"layer_range [{start}, {end}] is empty: it takes layers {start} to {end - 1}; "
            f"for layer {start} alone write [{start}, {start + 1}]",
            severity="warning",
        )
