"""## What it does
Reports top-level `slices:` over a model made of several modules: a vision-language
model (Mistral3, Gemma3, Llama 4: a text decoder, a vision tower, a projector) or any
model with more than one numbered layer stack.

## Why is this bad?
mergekit takes `slices:` only for a model with one module, and stops with "Model has
multiple modules, must use modules: config syntax to work with slices" after loading
the models. A layer range is counted within one module's stack.

## Example
```yaml
merge_method: passthrough
slices:
  - sources:
      - model: org/mistral3-vlm
        layer_range: [0, 20]
```

Use instead (a model outside mergekit's module tables, with several stacks: `models:`):
```yaml
merge_method: passthrough
modules:
  text_decoder:
    slices:
      - sources:
          - model: org/mistral3-vlm
            layer_range: [0, 20]
  vision_tower:
    models:
      - model: org/mistral3-vlm
  multi_modal_projector:
    models:
      - model: org/mistral3-vlm
```
"""

from merge_core.arch import infer_layout
from merge_core.modules import modules_of

from ..rule import Context, Needs, Rule

RULE = Rule("ML312", "modules-required", "error", "`slices:` over a model of several modules needs `modules:`",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    key = next((k for k, _ in ctx.view.root.pairs if k.value == "slices"), None)
    if key is None:
        return
    # each model once: a frankenmerge names the same few models in hundreds of slices
    refs = dict.fromkeys(inp.ref for group in ctx.view.groups if group.label.startswith("slices[")
                         for inp in group.inputs if inp.ref is not None)
    for ref in refs:
        facts = ctx.facts.model(ref)
        message = _message(facts) if facts is not None else None
        if message:
            ctx.report(RULE, key, f"'{ref.model}' {message}")
            return


def _message(facts) -> str | None:
    specs = modules_of(facts.config)
    if specs:
        names = [s.name for s in specs]
        return (f"({facts.model_type}) has modules {', '.join(names)}: mergekit takes `slices:` only per module; "
                f"write them under `modules: {{{names[0]}: {{slices: ...}}}}`")
    if facts.tensors:
        layout = infer_layout(facts.config, {name: info.shape for name, info in facts.tensors.items()})
        if layout.other_stacks:
            stacks = [layout.stack, *layout.other_stacks] if layout.stack else layout.other_stacks
            return (f"has several layer stacks ({', '.join(s.prefix.rstrip('.') for s in stacks)}): mergekit "
                    "takes `slices:` only for a model of one module; merge it with `models:`")
    return None
