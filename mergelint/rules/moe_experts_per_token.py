"""## What it does
Checks `experts_per_token` (default 2) against the experts: it must be at least 1, and
there must be at least as many experts as it names.

## Why is this bad?
mergekit-moe refuses the config ("Experts per token must be >= 1", "Must include at
least as many experts as experts_per_token.") and exits; a config with one expert and the
default of 2 is the common case.

## Example
```yaml
base_model: org/base
gate_mode: random
experts:
  - source_model: org/code
```

Use instead: list a second expert, or set `experts_per_token: 1`.
"""

from merge_core.moe.language import DEFAULT_EXPERTS_PER_TOKEN, EXPERTS, EXPERTS_PER_TOKEN
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML402", "moe-experts-per-token", "error", "experts_per_token is below 1 or above the number of experts",
            tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    moe = ctx.moe
    per_token, node = moe.experts_per_token, moe.experts_per_token_node
    if per_token is None:
        return  # not a whole number: invalid-value says so
    if per_token < 1:
        ctx.report(RULE, node, f"experts_per_token is {per_token}: mergekit-moe requires at least 1")
        return
    if moe.experts is None or len(moe.experts) != len(moe.experts_node.items):
        return  # experts missing or malformed: invalid-value says so
    count = len(moe.experts)
    if count < per_token:
        written = f"experts_per_token is {per_token}" if node is not None else \
            f"experts_per_token is {DEFAULT_EXPERTS_PER_TOKEN} by default"
        where = node if node is not None else ctx.moe.root.key_node(EXPERTS)
        ctx.report(RULE, where, f"{written} but there {'is' if count == 1 else 'are'} {count} "
                   f"expert{'' if count == 1 else 's'}: mergekit-moe requires at least as many experts "
                   f"(list more, or set {EXPERTS_PER_TOKEN}: {max(count, 1)})")
