"""## What it does
Checks `dtype` and `out_dtype` (mergekit-moe: `dtype`) against the names mergekit accepts: `bfloat16`,
`float16`, `float32`, `float64` (optionally prefixed `torch.`).

## Why is this bad?
mergekit accepts any string when it loads the config and fails with
`Unimplemented dtype "bf16"` only when the first tensor is loaded, after every model
has been downloaded. `int64` is a name it knows but cannot merge in.

## Example
```yaml
dtype: bf16
```

Use instead:
```yaml
dtype: bfloat16
```
"""

from merge_core.language import DTYPE_KEYS, FLOAT_DTYPES
from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule
from ..suggest import closest

RULE = Rule("ML006", "dtype-value", "error", "dtype or out_dtype is not a dtype mergekit can merge in",
            tools=(*MERGEKIT_YAML_TOOLS, Tool.MOE))

_SPELLINGS = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32", "float": "float32",
              "double": "float64", "fp64": "float64"}


@RULE.checker
def check(ctx: Context) -> None:
    # mergekit-moe reads `dtype` alone (dtype_from_name, as mergekit-yaml does); out_dtype is unknown there.
    for key in DTYPE_KEYS if ctx.view is not None else DTYPE_KEYS[:1]:
        node = ctx.config.root.get(key)
        if node is None or not node.is_scalar or node.value is None:
            continue
        name = str(node.value)
        bare = name.removeprefix("torch.")
        if bare in FLOAT_DTYPES:
            continue
        if bare == "int64":
            ctx.report(RULE, node, f"{key} {name} is not a floating-point dtype; mergekit cannot merge in it")
            continue
        suggestion = _SPELLINGS.get(bare.lower()) or closest(bare, FLOAT_DTYPES, cutoff=0.5)
        fixes = [Fix(f"Change to {suggestion}", (replace_scalar(node, suggestion),), preferred=True)] if suggestion else []
        hint = f"; did you mean {suggestion}?" if suggestion else f" (use one of {', '.join(FLOAT_DTYPES)})"
        ctx.report(RULE, node, f"{key} {name!r} is not a dtype mergekit knows{hint}", fixes)
