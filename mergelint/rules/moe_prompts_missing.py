"""## What it does
Finds experts without `positive_prompts` when `gate_mode` is not `random`. mergekit-moe
demands them for `uniform_random` too, though that mode never reads them: a quirk of
mergekit's check, not of the gates.

## Why is this bad?
mergekit-moe stops with "Expert {i} has no positive prompts." The prompt-based modes
(`hidden`, the default, `hidden_avg`, `hidden_last`, `cheap_embed`) make each expert's
gate from its prompts, so an expert without them cannot be routed to.

## Example
```yaml
base_model: org/base
experts:
  - source_model: org/code
    positive_prompts: ["Write a Python function"]
  - source_model: org/math
```

Use instead: prompts for every expert (`positive_prompts: ["Solve for x"]`), or
`gate_mode: random` for gates to be trained later.
"""

from merge_core.moe.language import PROMPTLESS_GATE_MODE
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML403", "moe-prompts-missing", "error", "An expert has no positive prompts and the gate mode needs them",
            tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    moe = ctx.moe
    if moe.gate_mode is None or moe.gate_mode == PROMPTLESS_GATE_MODE:
        return
    quirk = (" (uniform_random never uses them, but mergekit-moe asks for them in every mode but random)"
             if moe.gate_mode == "uniform_random" else "")
    for expert in moe.experts or ():
        if expert.positive == ():  # None: malformed, invalid-value's
            ctx.report(RULE, expert.entry.key_node("positive_prompts") or expert.entry.pairs[0][0],
                       f"expert {expert.index} has no positive prompts: mergekit-moe stops with 'Expert "
                       f"{expert.index} has no positive prompts.' unless gate_mode is random{quirk}")
