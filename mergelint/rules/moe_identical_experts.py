"""## What it does
Finds a mergekit-moe config whose experts are all the same model (with a gate mode other
than `random`).

## Why is this bad?
The result uses more memory than the model alone and computes exactly the same output.
mergekit-moe refuses it ("All of your expert models are the same.") unless it is run
with `--i-understand-this-is-not-useful-without-training`, meant for a model that will
be trained after the merge; `mergelint run` takes the same flag, and then does not
report this.

## Example
```yaml
base_model: org/base
experts:
  - source_model: org/chat
    positive_prompts: ["Write a function"]
  - source_model: org/chat
    positive_prompts: ["Solve the equation"]
```

Use instead: a different fine-tune for each expert, or the flag when you will train the
result.
"""

from merge_core.moe.language import ALLOW_ALL_SAME_FLAG, PROMPTLESS_GATE_MODE
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML405", "moe-identical-experts", "error", "Every expert is the same model", tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    moe = ctx.moe
    experts = moe.experts or []
    if moe.gate_mode in (None, PROMPTLESS_GATE_MODE) or len(experts) < 2:
        return  # (one expert alone is refused for its prompts already: moe-identical-prompts)
    refs = [e.ref for e in experts]
    if None in refs or any(r != refs[0] for r in refs[1:]):
        return
    ctx.report(RULE, moe.root.key_node("experts"),
               f"all {len(experts)} experts are '{refs[0]}': the MoE would compute exactly what that model does, at "
               f"{len(experts)} times the size; mergekit-moe refuses ('All of your expert models are the same') "
               f"unless run with {ALLOW_ALL_SAME_FLAG}, for a model you will train (so does mergelint run)")
