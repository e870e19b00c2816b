"""## What it does
Reports a model to merge that is a quantized checkpoint, known from its files: a
`quantization_config` in config.json (bitsandbytes, GPTQ, AWQ, fp8, ...), GGUF weight
files, or quantized tensors (`qweight`, `absmax`, ...) in its safetensors headers.
When a model's files cannot be had, a name that says GPTQ, AWQ, GGUF, EXL2 or 4-bit
gets an info, never more: a name is not a fact.

## Why is this bad?
mergekit cannot merge quantized weights: it fails or, worse, does arithmetic on packed
integers (`operands could not be broadcast together` deep inside a merge).

## Example
```yaml
models:
  - model: TheBloke/Llama-2-7B-GPTQ
```

Use instead: the unquantized model it was made from (usually linked on its model
card), and quantize the merged result.
"""

import re

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML307", "quantized-input", "error", "A model to merge is a quantized checkpoint", needs=Needs.MODEL_FACTS,
            tools=(*MERGEKIT_YAML_TOOLS, Tool.EVOLVE))

_NAME = re.compile(r"(?i)(gptq|awq|gguf|exl2|bnb[-_]?[48]bit|\b\d+(?:\.\d+)?bpw\b|(?<![a-z])(?:4|8)bit(?![a-z]))")


@RULE.checker
def check(ctx: Context) -> None:
    for use in ctx.facts.distinct(ctx.config, key=lambda u: u.ref.model, merged_only=True):
        path = use.ref.model
        where = part_node(use.node, use.ref, "model")
        res = ctx.facts.resolve(path)
        if not res.ok:
            match = _NAME.search(path.path)
            if match:
                ctx.report(
                    RULE,
                    where,
                    f"the name '{path}' suggests a quantized checkpoint ({match.group(1)}), which mergekit cannot merge; "
                    "its files are not at hand to tell",
                    severity="info",
                )
            continue
        quantization = res.facts.quantization
        if quantization:
            ctx.report(
                RULE,
                where,
                f"'{path}' is a quantized checkpoint ({quantization}): mergekit cannot merge quantized weights; "
                "merge the unquantized model and quantize the result",
            )
