"""## What it does
Decides the output architecture as mergekit-moe does (Mixtral, DeepSeek MoE, Qwen MoE or
Qwen3 MoE: `architecture:` is a case-insensitive prefix of the name, else the first that
fits, Mixtral first) and reports when none can hold the merge, with each candidate's
reason. From the YAML alone it judges `architecture:` and the shared experts (Mixtral
and Qwen3 MoE take none, DeepSeek MoE one without prompts, Qwen MoE exactly one with
prompts); where the models' config.json can be read, their `model_type`s too (Mixtral
takes llama and mistral models, Qwen MoE also qwen2, Qwen3 MoE qwen3; all of one type),
and an info says which architecture will be built.

## Why is this bad?
mergekit-moe exits with "No output architecture found that is compatible with the given
models." (or "... that matches the given architecture: X"), after it has read every
model's config, and does not say why each architecture refused.

## Example
```yaml
base_model: org/llama-base
architecture: mixtral
gate_mode: random
experts:
  - source_model: org/code
  - source_model: org/math
shared_experts:
  - source_model: org/general
```

Use instead: no `shared_experts` for Mixtral, or `architecture: deepseek` (one shared
expert without prompts).
"""

from merge_core.moe.architectures import ARCHITECTURE_NAMES, MoeShape, NoArchitecture, select
from merge_core.moe.language import ARCHITECTURE, SHARED_EXPERTS
from merge_core.tools import Tool

from ..rule import Context, Rule

RULE = Rule("ML407", "moe-architecture", "error", "No mergekit-moe output architecture can hold this merge",
            tools=(Tool.MOE,))


@RULE.checker
def check(ctx: Context) -> None:
    moe = ctx.moe
    if moe.experts is None or moe.gate_mode is None or moe.architecture_node is not None and moe.architecture is None:
        return  # malformed: invalid-value says so
    known = _model_types(ctx)
    shared = moe.shared_experts
    types = known or [""] * (1 + len(moe.experts) + len(shared))  # unknown: only the shared experts are judged
    shape = MoeShape(types[0], tuple(types[1:1 + len(moe.experts)]), tuple(types[1 + len(moe.experts):]),
                     shared_prompted=tuple(bool(e.positive or e.negative) for e in shared),
                     shared_positive=tuple(bool(e.positive) for e in shared), gate_mode=moe.gate_mode)
    try:
        chosen = select(shape, moe.architecture, types_known=known is not None)
    except NoArchitecture as refused:
        ctx.report(RULE, _where(moe), _message(refused))
        return
    if known is not None:
        ctx.report(RULE, _where(moe), f"mergekit-moe will build a {chosen.name} model ({chosen.hf_architecture}) from "
                   f"these {types[0]} models", severity="info")


def _model_types(ctx: Context) -> list[str] | None:
    """The model_type of the base, each expert and each shared expert, or None unless all are known."""
    if ctx.facts is None:
        return None
    moe = ctx.moe
    found = []
    for ref in (moe.base, *(e.ref for e in moe.all_experts)):
        facts = ctx.facts.model(ref) if ref is not None else None
        if facts is None or facts.model_type is None:
            return None
        found.append(facts.model_type)
    return found


def _where(moe):
    if moe.architecture_node is not None:
        return moe.architecture_node
    if moe.shared_experts:
        return moe.root.key_node(SHARED_EXPERTS)
    return moe.base_node if moe.base_node is not None else moe.root.pairs[0][0]


def _message(refused: NoArchitecture) -> str:
    if not refused.reasons:
        return f"{refused}; architecture is a prefix of one of {', '.join(ARCHITECTURE_NAMES)}"
    why = "; ".join(refused.reasons.values())
    return f"mergekit-moe would stop: {refused} {why}"
