"""## What it does
Reads the base model's tokenizer files when the gates are made from prompts (`gate_mode`
`hidden`, `hidden_avg`, `hidden_last` or `cheap_embed`) and reports one that has neither
a BOS nor an EOS token.

## Why is this bad?
mergekit-moe tokenizes the prompts with the base model's tokenizer, padded with its BOS
token (else its EOS token) and prefixed with the BOS token. With neither there is no
padding token, and tokenizing fails ("Asking to pad but the tokenizer does not have a
padding token") after the base model is loaded.

## Example
```yaml
base_model: org/base-without-special-tokens
gate_mode: hidden
experts:
  - source_model: org/french
    positive_prompts: ["Translate into French"]
  - source_model: org/summary
    positive_prompts: ["Summarise this article"]
```

Use instead: a base model whose tokenizer_config.json sets `bos_token` or `eos_token`,
or `gate_mode: random`.
"""

from merge_core.moe.language import GATE_MODES
from merge_core.tools import Tool

from ..compat import tokenizer
from ..moe_facts import base_facts
from ..rule import Context, Needs, Rule

RULE = Rule("ML410", "moe-gate-tokenizer", "error", "The base tokenizer cannot tokenize the gate prompts",
            needs=Needs.MODEL_FACTS, tools=(Tool.MOE,))

_PROMPTED = tuple(m for m in GATE_MODES if m not in ("random", "uniform_random"))


@RULE.checker
def check(ctx: Context) -> None:
    moe = ctx.moe
    if moe.gate_mode not in _PROMPTED or not any(e.positive for e in moe.all_experts):
        return
    base = base_facts(ctx)
    found = tokenizer(base) if base is not None else None
    if found is None or not found.present:
        return  # no tokenizer files at hand: nothing is known
    if "bos_token" in found.special or "eos_token" in found.special:
        return
    ctx.report(RULE, moe.base_node, f"the tokenizer of '{moe.base.model}' has neither a BOS nor an EOS token: "
               f"mergekit-moe pads the gate prompts with one of them (gate_mode {moe.gate_mode}), and tokenizing "
               "them fails ('Asking to pad but the tokenizer does not have a padding token')")
