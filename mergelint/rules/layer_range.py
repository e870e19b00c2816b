"""## What it does
Checks each source's `layer_range: [start, end]`. The range is half-open: it takes
layers `start` to `end - 1`, so `[0, 32]` is all 32 layers of a 32-layer model. It
reports a negative start, an empty or reversed range (`[4, 4]`, `[5, 3]`, `[0, -1]`),
and, between consecutive slices that take layers from the same model, a layer that is
skipped because the previous end was read as inclusive (`[0, 16]` then `[17, 32]`).
When the model's config.json can be read, it also reports a range past the model's
last layer, and the classic off-by-one `[0, N-1]` on an N-layer model, which leaves
out the last layer (unless another slice takes it).

## Why is this bad?
A negative start, or an end past the last layer, fails mid-merge (`Tensor
model.layers.32... required but not present`), after every model has been downloaded.
An empty range silently contributes no layers (a config of empty ranges writes a
model of 0 layers), and a gap silently drops a layer from the output.

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

## Fix safety
This rule's fixes are marked as unsafe, as they change which layers the merge takes: a
range cut to the model's layer count, or an empty range widened to one layer, may not be
the slice the author meant. `mergelint check --fix` applies the first only with
`--unsafe-fixes`; the second is offered as a quick fix in the editor only. The editor's
fix-all leaves both.
"""

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule

RULE = Rule("ML202", "layer-range", "error", "A layer_range is negative, empty, skips layers, or is past the model's last layer")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    previous = None
    taken: dict[str, list] = {}  # model -> the ranges its slices take, filled on first need
    for group in view.groups:
        if group.kind != "slice":
            continue
        for inp in group.inputs:
            if inp.layer_range is not None and not _check_range(ctx, inp):
                _check_layer_count(ctx, view, inp, taken)
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


def _check_range(ctx: Context, inp) -> bool:
    """The checks that need no model; True when one reported."""
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
        )
    elif end <= start:
        one = Fix(f"Take layer {start} alone: [{start}, {start + 1}]", (replace_scalar(node.items[1], str(start + 1)),), safe=False)
        ctx.report(
            RULE,
            node,
            f"layer_range [{start}, {end}] is empty: the end is exclusive, so it takes no layer and the merged model "
            f"lacks this slice's layers (with no other slice it has 0 layers); for layer {start} alone write "
            f"[{start}, {start + 1}]",
            [one],
        )
    else:
        return False
    return True


def _check_layer_count(ctx: Context, view, inp, taken: dict) -> None:
    """With the model's layer count from its config.json: past the end, and the [0, N-1] off-by-one."""
    facts = ctx.facts.model(inp.ref) if ctx.facts is not None and inp.ref is not None else None
    count, key = facts.layer_count if facts is not None else (None, None)
    if count is None:
        return
    start, end = inp.layer_range
    node = inp.layer_range_node
    name = inp.key
    last = f"{count} layers (0 to {count - 1}, `{key}`)"
    fix = Fix(f"Change the end to {count}", (replace_scalar(node.items[1], str(count)),), safe=False, preferred=True)
    if start >= count:
        ctx.report(RULE, node.items[0], f"layer_range starts at {start}, but '{name}' has {last}: mergekit fails looking for layer {start}")
    elif end > count:
        ctx.report(
            RULE,
            node.items[1],
            f"layer_range ends at {end}, past the last layer of '{name}', which has {last}: mergekit fails looking for layer {count}",
            [fix],
        )
    elif end == count - 1 and not _taken_elsewhere(view, inp, count - 1, taken):
        ctx.report(
            RULE,
            node.items[1],
            f"layer_range [{start}, {end}] leaves out the last layer ({count - 1}) of '{name}', which has {last}: "
            f"the end is exclusive; write {count} to keep it",
            [fix],
            severity="warning",
        )


def _taken_elsewhere(view, inp, layer: int, taken: dict) -> bool:
    """Does another slice take `layer` of the same model (so leaving it out here is deliberate)?"""
    if not taken:
        for group in view.groups:
            for other in group.inputs:
                if other.layer_range and other.key:
                    taken.setdefault(other.key, []).append((other, other.layer_range))
    return any(other is not inp and start <= layer < end for other, (start, end) in taken.get(inp.key, ()))
