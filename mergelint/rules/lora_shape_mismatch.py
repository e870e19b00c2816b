"""## What it does
Compares a LoRA adapter's tensors (names and shapes from its safetensors header) with
the base model it is attached to: every adapted module must exist in the base, and
`lora_B × lora_A` must have the base weight's shape (embeddings, DoRA magnitudes and
whole modules saved with `modules_to_save` likewise). An adapter whose declared base
differs is reported by `lora-base-mismatch` instead.

## Why is this bad?
Shapes that do not fit, or target modules of which none exists in the base, make
PEFT fail while mergekit merges the adapter. Adapted modules that the base lacks (an
adapter for a 32-layer model on a 24-layer one) are dropped without a word, so part of
the adapter never reaches the merge.

## Example
```yaml
models:
  - model: org/llama-13b+org/llama-7b-lora   # declares no base; trained on a 7B model
```

Use instead: attach the adapter to the model it was trained on.
"""

from merge_core.inspect import lora_fit

from ..model_facts import attached_adapters, part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML302", "lora-shape-mismatch", "error", "A LoRA adapter's modules or shapes do not fit its base model",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    for use, base, adapter, elsewhere in attached_adapters(ctx.facts, ctx.view):
        if elsewhere or base is None:
            continue  # another declared base: lora-base-mismatch says it, with the fix
        fit = lora_fit(base, adapter)
        if fit is None:
            continue
        model, lora = str(use.ref.model), str(use.ref.lora)
        where = part_node(use.node, use.ref, "lora")
        if fit.no_target_matches is not None:
            ctx.report(
                RULE,
                where,
                f"none of the target modules of adapter '{lora}' ({', '.join(fit.no_target_matches)}) exists in "
                f"'{model}': PEFT refuses to load it",
            )
        elif fit.conflicts:
            more = f" (and {len(fit.conflicts) - 1} more)" if len(fit.conflicts) > 1 else ""
            ctx.report(RULE, where, f"adapter '{lora}' does not fit '{model}': {fit.conflicts[0]}{more}; PEFT fails loading it")
        elif fit.missing:
            ctx.report(
                RULE,
                where,
                f"{len(fit.missing)} module(s) adapted by '{lora}' do not exist in '{model}' (e.g. {fit.missing[0]}): "
                "PEFT drops their deltas without a word",
                severity="warning",
            )
