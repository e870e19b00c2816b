"""## What it does
Compares each expert (and shared expert) with the base model, from their config.json:
the hidden size, the MLP's intermediate size and the number of layers.

## Why is this bad?
mergekit-moe takes attention, norms and embeddings from the base and, layer by layer for
the base's layers, stacks the experts' MLP weights beside them. An expert of another
hidden or intermediate size gives weights that do not stack (the merge fails, or the
output does not load); one with fewer layers fails on the first layer it lacks, after
the gates are computed; the layers of one with more are dropped without a word.

## Example
```yaml
base_model: org/llama-8b
gate_mode: random
experts:
  - source_model: org/llama-8b-code
  - source_model: org/llama-70b-math   # hidden size 8192, not 4096
```

Use instead: experts fine-tuned from the base model (or of its exact shape).
"""

from merge_core.tools import Tool

from ..moe_facts import base_facts, expert_facts, where
from ..rule import Context, Needs, Rule

RULE = Rule("ML408", "moe-expert-shape", "error", "An expert's shape differs from the base model's",
            needs=Needs.MODEL_FACTS, tools=(Tool.MOE,))

_SIZES = (("hidden size", "hidden_size"), ("intermediate size", "intermediate_size"))


@RULE.checker
def check(ctx: Context) -> None:
    base = base_facts(ctx)
    if base is None:
        return
    for expert, facts in expert_facts(ctx):
        what = "shared expert" if expert.shared else "expert"
        diffs = [f"{label} {getattr(facts, attr)} vs {getattr(base, attr)}" for label, attr in _SIZES
                 if None not in (getattr(facts, attr), getattr(base, attr)) and getattr(facts, attr) != getattr(base, attr)]
        if diffs:
            ctx.report(RULE, where(expert), f"{what} '{expert.ref.model}' does not have the base model's shape "
                       f"({', '.join(diffs)}): its MLP weights cannot be stacked into the base's layers")
        layers, base_layers = facts.num_layers, base.num_layers
        if None in (layers, base_layers) or layers == base_layers:
            continue
        if layers < base_layers:
            ctx.report(RULE, where(expert), f"{what} '{expert.ref.model}' has {layers} layers and the base model "
                       f"{base_layers}: mergekit-moe fails on layer {layers}, which the expert does not have")
        else:
            ctx.report(RULE, where(expert), f"{what} '{expert.ref.model}' has {layers} layers and the base model "
                       f"{base_layers}: mergekit-moe takes only the base's {base_layers} and drops the rest",
                       severity="warning")
