"""## What it does
Checks that every source of one slice spans the same number of layers.

## Why is this bad?
mergekit merges layer i of each source into layer i of the output, and stops at plan
time with `All inputs to a slice must contain the same number of layers`. To stack
layers from several models (passthrough), give each its own slice.

## Example
```yaml
merge_method: passthrough
slices:
  - sources:
      - model: org/a
        layer_range: [0, 24]
      - model: org/b
        layer_range: [8, 40]
```

Use instead:
```yaml
merge_method: passthrough
slices:
  - sources:
      - model: org/a
        layer_range: [0, 24]
  - sources:
      - model: org/b
        layer_range: [8, 40]
```
"""

from ..rule import Context, Rule

RULE = Rule("ML203", "slice-length-mismatch", "error", "The sources of a slice span different numbers of layers")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    for group in view.groups:
        ranged = group.ranged
        if len(ranged) < 2:
            continue
        first = ranged[0].layer_range[1] - ranged[0].layer_range[0]
        for inp in ranged[1:]:
            length = inp.layer_range[1] - inp.layer_range[0]
            if length != first:
                hint = "; for passthrough, put each source in a slice of its own" if view.method and view.method.name == "passthrough" else ""
                ctx.report(
                    RULE,
                    inp.layer_range_node,
                    f"this source spans {length} layers but the first source of {group.label} spans {first}{hint}",
                )
