"""## What it does
Checks that a mergekit-evolve genome's `layer_granularity` divides the layer count of its
first model (read from the model's config.json, where the model can be found; nothing is
guessed otherwise). 0 or less means one group for the whole model.

## Why is this bad?
mergekit-evolve asserts "Number of layers must be a multiple of layer_granularity" when it
starts, after the first model's config has been downloaded.

## Example
```yaml
genome:
  models: [./llama-32-layers, ./other]
  merge_method: linear
  layer_granularity: 5
tasks: [my_task]
```

Use instead: a divisor of the layer count (`layer_granularity: 4` for 32 layers).

## Fix safety
This rule's fix, the largest divisor of the layer count below the value written, is unsafe:
it changes how finely the search varies the weights, which only the user can choose, so
`--fix` and the editor's fix-all apply it only with unsafe fixes allowed.
"""

from merge_core.evolve.language import LAYER_GRANULARITY
from merge_core.method_kit.spec import ParamType
from merge_core.tools import Tool

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..evolve_view import read
from ..rule import Context, Needs, Rule

RULE = Rule("ML603", "layer-granularity", "error", "layer_granularity does not divide the model's layer count",
            needs=Needs.MODEL_FACTS, tools=(Tool.EVOLVE,))


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.evolve
    if view is None:
        return
    node = view.setting(LAYER_GRANULARITY)
    granularity = read(node, ParamType.INT)
    if granularity is None or granularity < 1 or not view.models:
        return
    ref = view.models[0][1]
    facts = ctx.facts.model(ref) if ref is not None else None
    layers = facts.num_layers if facts is not None else None
    if not layers or layers % granularity == 0:
        return
    divisor = max(d for d in range(1, min(granularity, layers) + 1) if layers % d == 0)
    fix = Fix(f"Change to {divisor}", (replace_scalar(node, str(divisor)),), safe=False, preferred=True)
    ctx.report(RULE, node, f"layer_granularity {granularity} does not divide the {layers} layers of '{ref}' (the "
               f"first model, which mergekit-evolve counts): mergekit-evolve stops at start-up", [fix])
