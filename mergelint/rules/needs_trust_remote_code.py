"""## What it does
Notes a model whose config.json maps its classes to code shipped in the repository
(`auto_map`): mergekit can only load it with `--trust-remote-code`. mergelint reads
that config.json as data and never runs the code.

## Why is this bad?
Without the flag mergekit stops at the model's config; with it, mergekit runs the
repository's Python code on your machine, which deserves a look first.

## Example
```yaml
models:
  - model: org/custom-architecture-model   # config.json has "auto_map"
```

Use instead: run mergekit with `--trust-remote-code` once you trust that code, or use a
model whose architecture transformers ships.
"""

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML309", "needs-trust-remote-code", "info", "A model ships its own code: mergekit needs --trust-remote-code",
            needs=Needs.MODEL_FACTS, tools=(*MERGEKIT_YAML_TOOLS, Tool.MOE, Tool.EVOLVE))


@RULE.checker
def check(ctx: Context) -> None:
    for use in ctx.facts.distinct(ctx.config, key=lambda u: u.ref.model):
        path = use.ref.model
        facts = ctx.facts.model(use.ref)
        auto_map = facts.auto_map if facts is not None else None
        if auto_map:
            classes = ", ".join(sorted(k for k in auto_map if isinstance(k, str))[:4])
            ctx.report(
                RULE,
                part_node(use.node, use.ref, "model"),
                f"'{path}' ships its own code (auto_map in config.json: {classes}): mergekit needs --trust-remote-code "
                "to load it, which runs that code; mergelint never runs it",
            )
