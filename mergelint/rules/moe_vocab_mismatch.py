"""## What it does
Compares each expert's vocabulary size (config.json's `vocab_size`) with the base
model's.

## Why is this bad?
mergekit-moe keeps only the base model's embeddings, output head and tokenizer. An
expert trained with another vocabulary has learnt its MLP weights over other tokens;
inside the MoE they see the base's, and nothing fails to say so.

## Example
```yaml
base_model: org/llama-base        # 32000 tokens
gate_mode: random
experts:
  - source_model: org/llama-chat  # 32002 tokens: two added chat tokens
  - source_model: org/llama-code
```

Use instead: experts that share the base model's tokenizer, or the same added tokens
added to the base first.
"""

from merge_core.tools import Tool

from ..moe_facts import base_facts, expert_facts, where
from ..rule import Context, Needs, Rule

RULE = Rule("ML409", "moe-vocab-mismatch", "warning", "An expert's vocabulary differs from the base model's",
            needs=Needs.MODEL_FACTS, tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    base = base_facts(ctx)
    size = base.config_vocab_size if base is not None else None
    if size is None:
        return
    for expert, facts in expert_facts(ctx):
        own = facts.config_vocab_size
        if own is not None and own != size:
            what = "shared expert" if expert.shared else "expert"
            ctx.report(RULE, where(expert), f"{what} '{expert.ref.model}' has a vocabulary of {own} tokens and the "
                       f"base model {size}: the MoE keeps the base's embeddings and tokenizer, which this expert "
                       "was not trained with")
