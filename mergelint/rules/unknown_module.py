"""## What it does
Checks each name under `modules:` against the modules of the models merged there.
mergekit splits vision-language models (Mistral3, Gemma3, Llama 4) into named modules
(`text_decoder`, `vision_tower` or `vision_model`, `multi_modal_projector`); every other
model has one module, `default`.

## Why is this bad?
mergekit looks each name up in the model's architecture and stops with a bare
`KeyError` after loading the models; a module the models do not have merges nothing.

## Example
```yaml
merge_method: linear
modules:
  vision:                     # a Mistral3 has vision_tower
    models:
      - model: org/mistral3-vlm
```

Use instead: the module's name as the model has it, or `models:`/`slices:` at the top
level for a single-module model.
"""

from merge_core.modules import modules_of

from ..config_view import map_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML311", "unknown-module", "error", "A name under `modules:` is not a module of the models merged there",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    modules = map_node(ctx.view.root.get("modules"))
    if modules is None:
        return
    for key, _ in modules.pairs:
        name = str(key.value)
        prefix = f"modules.{name}."
        inputs = [i for g in ctx.view.groups if g.label.startswith(prefix) for i in g.inputs if i.ref is not None]
        for inp in inputs:
            facts = ctx.facts.model(inp.ref)
            kind = facts.model_type if facts is not None else None
            if kind is None:
                continue
            specs = modules_of(facts.config)
            names = [s.name for s in specs] if specs else ["default"]
            if name not in names:
                if specs:
                    why = f"its modules are {', '.join(names)}"
                else:
                    why = "it has one module, `default`: write `models:` or `slices:` at the top level"
                ctx.report(RULE, key, f"'{inp.ref.model}' ({kind}) has no module '{name}': {why}")
            break  # one model decides; incompatible-models reports models that disagree
