"""## What it does
Finds a mergekit-moe config whose experts all have the same positive and negative prompts
(with a gate mode other than `random`).

## Why is this bad?
Every expert then gets the same gate vector, so the router cannot tell them apart:
mergekit-moe refuses ("Your positive and negative prompts are identical for all experts.
This will not produce a functioning MoE.").

## Example
```yaml
base_model: org/base
experts:
  - source_model: org/code
    positive_prompts: ["Help me"]
  - source_model: org/math
    positive_prompts: ["Help me"]
```

Use instead: prompts that show what each expert should get ("Write a function", "Solve
the equation").
"""

from merge_core.moe.language import PROMPTLESS_GATE_MODE
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML404", "moe-identical-prompts", "error", "Every expert has the same prompts", tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    moe = ctx.moe
    experts = moe.experts or []
    if moe.gate_mode in (None, PROMPTLESS_GATE_MODE) or not experts:
        return
    prompts = [e.prompts for e in experts]
    if None in prompts or any(not e.positive for e in experts):
        return  # malformed (invalid-value) or missing (moe-prompts-missing): mergekit stops there first
    if all(p == prompts[0] for p in prompts[1:]):
        what = ("there is one expert, whose prompts mergekit-moe counts as the same for all experts" if len(experts) == 1
                else f"all {len(experts)} experts have the same prompts, so their gates would be identical")
        ctx.report(RULE, moe.root.key_node("experts"),
                   f"{what}: mergekit-moe refuses ('Your positive and negative prompts are identical for all "
                   "experts'); give each expert prompts of its own")
