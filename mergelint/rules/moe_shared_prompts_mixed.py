"""## What it does
Finds `shared_experts` of which some have `positive_prompts` and others do not.

## Why is this bad?
mergekit-moe gates either every shared expert or none, and stops with an assertion
("Must specify prompts for all shared experts or none, not a mix") after it has loaded
the base model's tokenizer.

## Example
```yaml
shared_experts:
  - source_model: org/general
    positive_prompts: ["Hello"]
  - source_model: org/chat
```

Use instead: prompts for both shared experts, or for neither.
"""

from merge_core.moe.language import POSITIVE_PROMPTS
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML406", "moe-shared-prompts-mixed", "error", "Some shared experts have prompts and others do not",
            tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    shared = [e for e in ctx.moe.shared_experts if e.positive is not None]
    prompted = [e for e in shared if e.positive]
    if not prompted or len(prompted) == len(shared):
        return
    for expert in shared:
        if not expert.positive:
            ctx.report(RULE, expert.entry.key_node(POSITIVE_PROMPTS) or expert.entry.pairs[0][0],
                       f"shared expert {expert.index} has no positive prompts but shared expert {prompted[0].index} "
                       "has: mergekit-moe asserts 'Must specify prompts for all shared experts or none, not a mix'")
