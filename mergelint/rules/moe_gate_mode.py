"""## What it does
Checks `gate_mode` against the modes mergekit-moe implements: `hidden`, `hidden_avg`,
`hidden_last`, `cheap_embed`, `random` and `uniform_random`.

## Why is this bad?
mergekit-moe reads any string, sets no gate function for one it does not know, and
crashes with `TypeError: 'NoneType' object is not callable` once it has loaded the base
model, instead of saying which modes exist.

## Example
```yaml
base_model: org/base
gate_mode: hiden
experts:
  - source_model: org/code
    positive_prompts: ["Write a function"]
  - source_model: org/math
    positive_prompts: ["Solve the equation"]
```

Use instead: `gate_mode: hidden`.

## Fix safety
This rule's fix is unsafe when it is a guess: the closest mode to a misspelt one may not
be the one meant, and the modes make different gates. Only a change of case or of `-` to
`_` (`Hidden`, `cheap-embed`) is safe; fix-all applies the others only with
`--unsafe-fixes`.
"""

from merge_core.moe.language import GATE_MODES
from merge_core.tools import Tool

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule
from ..suggest import closest, fold

RULE = Rule("ML401", "moe-gate-mode", "error", "gate_mode is not a gate mode mergekit-moe implements",
            tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    node = ctx.moe.gate_mode_node
    mode = ctx.moe.gate_mode
    if node is None or mode is None or mode in GATE_MODES:
        return  # absent (hidden), or not a string: invalid-value says so
    meant = closest(mode, GATE_MODES, cutoff=0.5)
    fixes = []
    if meant:
        safe = fold(mode) == fold(meant)
        fixes.append(Fix(f"Change to {meant}", (replace_scalar(node, meant),), safe=safe, preferred=True))
    hint = f"did you mean '{meant}'? " if meant else ""
    ctx.report(RULE, node, f"gate_mode '{mode}' is not one of mergekit-moe's: {hint}allowed are {', '.join(GATE_MODES)} "
               "(mergekit-moe crashes with a TypeError on any other)", fixes)
