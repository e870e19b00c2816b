"""## What it does
Recognises files that are configs of another mergekit tool, or of no mergekit tool at
all: a mergekit-moe config (`experts`, `gate_mode`), a mergekit-evolve config
(`genome`, `tasks`), with or without a `merge_method:` beside them, or a file whose
shape is foreign to mergekit-yaml.

## Why is this bad?
`mergekit-yaml` rejects them only with "merge_method Field required" (or ignores most
of the file), which does not say that the file belongs to another command.

## Example
```yaml
base_model: org/base
gate_mode: hidden
experts:
  - source_model: org/expert
```

Use instead: run it with `mergekit-moe`, or write a `mergekit-yaml` config with
`merge_method` and `models`/`slices`.
"""

from merge_core.language import EVOLVE_KEYS, LAYOUT_KEYS, MOE_KEYS

from ..rule import Context, Rule
from ..validate import IssueKind

RULE = Rule("ML002", "wrong-tool", "error", "The file is a config for another tool")

@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    root = view.root
    keys = [k for k, _ in root.pairs]
    # A merge_method beside experts or genome does not make a mergekit-yaml config: only
    # models, slices or modules to merge do.
    merges = view.method_node is not None and any(root.get(k) is not None for k in LAYOUT_KEYS)
    if not merges:
        moe = [k for k in keys if k.value in MOE_KEYS]
        if moe:
            ctx.report(RULE, moe[0], "this is a mergekit-moe config (experts, gate_mode): run it with mergekit-moe, not mergekit-yaml")
            ctx.view = None
            return
        evolve = [k for k in keys if k.value in EVOLVE_KEYS]
        if evolve:
            ctx.report(RULE, evolve[0], "this is a mergekit-evolve config (genome, tasks): run it with mergekit-evolve")
            ctx.view = None
            return
    models = root.get("models")
    unknown = [i for i in ctx.schema_errors if i.kind is IssueKind.UNKNOWN_KEY and len(i.path) == 1]
    if models is not None and models.is_map and len(unknown) >= 2:
        names = ", ".join(i.name for i in unknown)
        ctx.report(
            RULE,
            root.key_node("models"),
            f"this file does not follow mergekit-yaml's format: models is a mapping and the top-level keys {names} "
            "are not mergekit's; mergekit-yaml would reject it",
        )
        ctx.view = None
