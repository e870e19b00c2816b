"""Model facts of a mergekit-moe config: the base model's, and each expert's, as the moe rules read them."""

from __future__ import annotations

from merge_core.inspect import ModelFacts

from .model_facts import part_node
from .moe_view import Expert
from .rule import Context


def base_facts(ctx: Context) -> ModelFacts | None:
    base = ctx.moe.base
    return ctx.facts.model(base) if base is not None else None


def expert_facts(ctx: Context) -> list[tuple[Expert, ModelFacts]]:
    """Each expert (shared ones included) whose config.json could be read, each model once, in order."""
    found, seen = [], {ctx.moe.base.model} if ctx.moe.base is not None else set()
    for expert in ctx.moe.all_experts:
        facts = ctx.facts.model(expert.ref) if expert.ref is not None else None
        if facts is not None and expert.ref.model not in seen:
            seen.add(expert.ref.model)
            found.append((expert, facts))
    return found


def where(expert: Expert):
    """Where an expert's model is written (its path, inside a `model+lora`)."""
    return part_node(expert.model_node, expert.ref, "model")
