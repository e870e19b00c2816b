"""What the compatibility rules share: the merged models with their facts, the model the output
takes its config from (the base, else the first model, as mergekit copies it), and the one it
takes its tokenizer from (`tokenizer_source` / `tokenizer.source` when it names a model)."""

from __future__ import annotations

from merge_core.inspect.tokenizer import TokenizerFacts, read_tokenizer
from merge_core.language import UNION, is_tokenizer_keyword

from .model_facts import part_node
from .rule import Context


def merged(ctx: Context) -> list[tuple]:
    """(use, facts) of each distinct merged model whose config.json could be read."""
    out, seen = [], set()
    for use in ctx.facts.inputs(ctx.view):
        facts = ctx.facts.model(use.ref)
        if facts is not None and use.ref.model not in seen:
            seen.add(use.ref.model)
            out.append((use, facts))
    return out


def config_source(models: list[tuple]) -> tuple | None:
    """The model whose config.json the output gets: the base, else the first model."""
    return next((m for m in models if m[0].role == "base"), models[0] if models else None)


def tokenizer_setting(ctx: Context):
    """(value, node) of tokenizer_source or tokenizer.source; (None, None) when the config sets neither."""
    return next(((node.value, node) for node in ctx.view.tokenizer_settings() if node.value is not None), (None, None))


def tokenizer_source(ctx: Context, models: list[tuple]) -> tuple | None:
    """(use, facts) of the model whose tokenizer the output takes, or None for `union` or unknown."""
    if not models:
        return None
    value, _ = tokenizer_setting(ctx)
    if value == UNION:
        return None
    if value is not None and not is_tokenizer_keyword(value):
        use = next((u for u in ctx.facts.uses(ctx.view) if u.role == "tokenizer"), None)
        facts = ctx.facts.model(use.ref) if use is not None else None
        return (use, facts) if facts is not None else None
    return config_source(models)


def tokenizer(facts) -> TokenizerFacts | None:
    """The tokenizer files of a local or cached model (None for one known only from the Hub's metadata)."""
    if not facts.directory:
        return None
    found = read_tokenizer(facts.directory)
    return found if found.present or found.special else None


def where(use):
    return part_node(use.node, use.ref, "model")
