"""## What it does
Compares the models one config merges, from their config.json: the architecture
(after `override_architecture`), the hidden size, the attention heads and key-value
heads, and the MLP width must be the same for every model in the config, and the
models of one `models:` merge must have the same number of layers. Each model is
compared with the base model (or, without one, the first model). A config.json that
does not list exactly one architecture is reported too. In a mergekit-evolve genome every
model, the base included, must have the first model's layer count: mergekit-evolve cuts
them all into its layer ranges.

## Why is this bad?
mergekit refuses to mix architectures unless `--allow-crimes` is given (and then
merges tensors that do not correspond); tensors of different shapes fail with a size
mismatch after every model has been downloaded; a `models:` merge of models with
different layer counts fails planning. A frankenmerge of slices of different widths
writes a model that does not load.

## Example
```yaml
merge_method: linear
models:
  - model: meta-llama/Llama-2-13b-hf
  - model: Qwen/Qwen2.5-14B
```

Use instead: models of one family and size (fine-tunes of the same base).
"""

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML305", "incompatible-models", "error", "Merged models differ in architecture, shape or layer count",
            needs=Needs.MODEL_FACTS, tools=(*MERGEKIT_YAML_TOOLS, Tool.EVOLVE))

SHAPE = (
    ("hidden_size", "hidden size"),
    ("num_attention_heads", "attention heads"),
    ("num_key_value_heads", "key-value heads"),
    ("intermediate_size", "intermediate size"),
)


def architecture(use, facts) -> str | None:
    if use.ref.override_architecture:
        return use.ref.override_architecture
    archs = facts.architectures
    return archs[0] if len(archs) == 1 else None


@RULE.checker
def check(ctx: Context) -> None:
    merged = []
    for use in ctx.facts.inputs(ctx.config):
        facts = ctx.facts.model(use.ref)
        if facts is not None:
            merged.append((use, facts))
    if not merged:
        return
    reported = set()
    for use, facts in merged:
        archs = facts.architectures
        if not use.ref.override_architecture and len(archs) != 1 and use.ref.model not in reported:
            reported.add(use.ref.model)
            listed = ", ".join(archs) if archs else "none"
            ctx.report(
                RULE,
                part_node(use.node, use.ref, "model"),
                f"config.json of '{use.ref.model}' lists {len(archs)} architectures ({listed}); mergekit needs exactly "
                "one: set override_architecture",
            )
    top = next(((u, f) for u, f in merged if u.role == "base"), merged[0])
    for use, facts in merged:
        if use.ref.model in reported or use is top[0] or use.ref == top[0].ref:
            continue
        diffs = _differences(top, (use, facts))
        if diffs:
            reported.add(use.ref.model)
            _report(ctx, use, top, diffs)
    if ctx.evolve is not None:
        _evolve_layers(ctx, merged, reported)
        return
    for group in ctx.view.groups:
        if group.kind != "models":
            continue
        members = [(u, f) for u, f in merged if u.group is group or (u.role == "base" and any(i.auto_added for i in group.inputs))]
        if len(members) < 2:
            continue
        ref = next(((u, f) for u, f in members if u.ref == group.base), members[0])
        for use, facts in members:
            if use.ref.model in reported or use.ref == ref[0].ref:
                continue
            if facts.num_layers is not None and ref[1].num_layers is not None and facts.num_layers != ref[1].num_layers:
                reported.add(use.ref.model)
                ctx.report(
                    RULE,
                    part_node(use.node, use.ref, "model"),
                    f"'{use.ref.model}' has {facts.num_layers} layers, '{ref[0].ref.model}' {ref[1].num_layers}: "
                    "a models: merge takes every layer of each model, and mergekit fails when the counts differ "
                    "(use slices: with equal layer_range lengths)",
                )


def _evolve_layers(ctx: Context, merged, reported: set) -> None:
    """mergekit-evolve cuts every model (the base too) into the first model's layer ranges."""
    first = next(((u, f) for u, f in merged if u.role == "input"), None)
    layers = first[1].num_layers if first is not None else None
    for use, facts in merged:
        if layers is None or use.ref.model in reported or facts.num_layers in (None, layers):
            continue
        reported.add(use.ref.model)
        effect = "every candidate merge fails past its last layer" if facts.num_layers < layers else \
            f"its layers past {layers} are never merged"
        ctx.report(RULE, part_node(use.node, use.ref, "model"),
                   f"'{use.ref.model}' has {facts.num_layers} layers, '{first[0].ref.model}' {layers}: mergekit-evolve "
                   f"cuts every model into the first model's layer ranges, so {effect}")


def _differences(a, b) -> list[str]:
    (ua, fa), (ub, fb) = a, b
    diffs = []
    arch_a, arch_b = architecture(ua, fa), architecture(ub, fb)
    if arch_a and arch_b and arch_a != arch_b:
        diffs.append(f"architecture {arch_b} vs {arch_a}")
    for attr, label in SHAPE:
        va, vb = getattr(fa, attr), getattr(fb, attr)
        if va is not None and vb is not None and va != vb:
            diffs.append(f"{label} {vb} vs {va}")
    return diffs


def _report(ctx: Context, use, top, diffs: list[str]) -> None:
    what = "the base" if top[0].role == "base" else "the first model"
    if diffs[0].startswith("architecture"):
        consequence = "mergekit refuses to mix architectures (unless --allow-crimes), and their tensors do not correspond"
    else:
        consequence = "their tensors have different shapes, so mergekit fails with a size mismatch (or, in separate slices, writes a model that does not load)"
    ctx.report(
        RULE,
        part_node(use.node, use.ref, "model"),
        f"'{use.ref.model}' does not match {what} '{top[0].ref.model}': {'; '.join(diffs)}: {consequence}",
    )
