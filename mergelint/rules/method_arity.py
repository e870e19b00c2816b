"""## What it does
Checks how many models each merge group (the `models:` list, or one slice) gives the
method: slerp, nearswap and arcee_fusion take exactly two, one of them the base;
nuslerp exactly two besides an optional third base; model_stock the base and at least
two more; passthrough exactly one per slice. Under `models:`, a `base_model` that is
not listed is added by mergekit as one more input.

## Why is this bad?
mergekit checks this only at plan time, after every model is downloaded, with messages
such as `Merge method requires exactly 2 inputs for default.slices[0]; got 3`.

## Example
```yaml
merge_method: slerp
base_model: org/common-ancestor
models:
  - model: org/a
  - model: org/b
parameters:
  t: 0.5
```

Use instead (the base is one of the two models):
```yaml
merge_method: slerp
base_model: org/a
models:
  - model: org/a
  - model: org/b
parameters:
  t: 0.5
```
"""

from merge_core.method_kit.spec import Counted

from ..rule import Context, Rule

RULE = Rule("ML106", "method-arity", "error", "The merge method gets the wrong number of models")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None:
        return
    method = view.method
    contract = method.contract
    for group in view.groups:
        inputs = [i for i in group.inputs if i.ref is not None]
        if len(inputs) != len(group.inputs):
            continue  # a malformed reference is reported on its own
        distinct = {i.key for i in inputs}
        count = len(distinct)
        if contract.counted is Counted.NON_BASE:
            count -= 1 if group.base is not None and str(group.base) in distinct else 0
        if contract.min <= count and (contract.max is None or count <= contract.max):
            continue
        ctx.report(RULE, _anchor(group), _message(method, group, count, inputs))


def _anchor(group):
    if group.kind == "models":
        return group.node.items[0] if group.node.items else group.node
    return group.node.pairs[0][0] if group.node.pairs else group.node  # an empty slice: `- {}`


def _message(method, group, count, inputs) -> str:
    contract = method.contract
    need = contract.describe()
    what = "non-base models" if contract.counted is Counted.NON_BASE else "models"
    text = f"{method.name} merges {need} per merge; {group.label} gives it {count} {what}"
    added = [i for i in inputs if i.auto_added]
    if added:
        text += f" (base_model '{added[0].key}' is not listed, so mergekit adds it as one more input)"
    if method.name == "slerp" and added:
        text += "; slerp's base_model must be one of the two models"
    elif method.name == "nuslerp" and group.base is not None and any(group.is_base(i) for i in inputs):
        text += "; nuslerp's base_model must be a third model, not one of the two"
    elif method.name == "passthrough" and count > 1:
        text += "; put each source in a slice of its own" if group.kind == "slice" else "; remove base_model or the extra models"
    return text
