"""## What it does
Checks that every parameter the method requires is set where mergekit looks for it:
`weight` for every weighted input of linear, nuslerp, multislerp and the task-arithmetic
family (ties, dare_ties, della, ...), and `t` for slerp and nearswap. A value counts
when it is given on the model, on its slice, on its module or at the top level, and a
`{filter, value}` list counts only for the tensors its filters match.

## Why is this bad?
mergekit raises `Missing required parameter weight for <model>.model.embed_tokens.weight`
only after downloading every model, and names a tensor rather than the model entry that
lacks the value. A `weight:` written beside `model:`, or `t` written under a model, is
not read at all.

## Example
```yaml
merge_method: linear
models:
  - model: org/a
  - model: org/b
```

Use instead:
```yaml
merge_method: linear
models:
  - model: org/a
    parameters:
      weight: 1.0
  - model: org/b
    parameters:
      weight: 1.0
```

A linear "merge" of a single `base+lora` reference is better written with
`merge_method: passthrough`, which needs no weight.
"""

from merge_core.method_kit.spec import Scope

from ..diagnostics import Fix
from ..edits import add_parameter, parameter_slot, replace_scalar
from ..params import ALL, NONE, malformed, reads, resolve
from ..rule import Context, Rule

RULE = Rule("ML102", "missing-required-parameter", "error", "A parameter the merge method requires is not set")

_EXAMPLE = {"weight": "1.0", "t": "0.5"}


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None:
        return
    method = view.method
    for param in (p for p in method.params if p.required):
        if param.scope is Scope.SHARED:
            _check_shared(ctx, param)
            continue
        for group in view.groups:
            for inp in group.inputs:
                if reads(param, group, inp):
                    _check_input(ctx, group, inp, param)


def _check_shared(ctx: Context, param) -> None:
    view = ctx.view
    missing = [g for g in view.groups if resolve(view, g, None, param)[0] == NONE]
    if not missing:
        return
    value = _EXAMPLE.get(param.name, "1.0")
    ignored = any(inp.params is not None and inp.params.get(param.name) is not None
                  for g in view.groups for inp in g.inputs)
    note = f"; '{param.name}' under a model's parameters is ignored, it is read only from slice, module or top-level parameters" if ignored else ""
    message = f"{view.method.name} requires '{param.name}' ({param.doc.split('.')[0].lower()}){note}"
    if len(missing) == len(view.groups):
        ctx.report(RULE, view.method_node, message + _beside(view.root, param.name), _add(ctx, view.root, param.name, value))
        return
    for group in missing:
        # A slice holds its own parameters; a models: list is held by the top level or a module.
        holder = group.node if group.node.is_map else _holder(view.root, group.node)
        anchor = group.node.pairs[0][0] if group.node.is_map and group.node.pairs else group.node
        if holder is not None and not group.node.is_map:
            anchor = holder.key_node("models") or anchor
        note = _beside(holder, param.name) if holder is not None else ""
        fixes = _add(ctx, holder, param.name, value) if holder is not None else []
        ctx.report(RULE, anchor, f"{message} (not set for {group.label}){note}", fixes)


def _beside(holder, name: str) -> str:
    """A note when the parameter is written next to `parameters:` instead of under it."""
    if holder.get(name) is None:
        return ""
    return f"; the '{name}' written outside parameters: is ignored, it belongs under parameters:"


def _add(ctx: Context, holder, name: str, value: str) -> list[Fix]:
    if holder.get(name) is not None:
        return []  # unknown-key moves the misplaced one; adding another would duplicate it
    edit = add_parameter(ctx.source, holder, name, value)
    if edit is None:
        return []
    return [Fix(f"Add {name}: {value}", (edit,), preferred=True, writes=frozenset({parameter_slot(holder, name)}), placeholder=True)]


def _holder(root, models):
    return next((n for n in root.walk() if n.is_map and n.get("models") is models), None)


def _check_input(ctx: Context, group, inp, param) -> None:
    view = ctx.view
    coverage, settings = resolve(view, group, inp, param)
    if coverage == ALL or any(malformed(s, ctx.schema_errors) for s in settings):
        return  # a setting mergekit cannot load is invalid-value's error alone
    name = inp.key or "this model"
    value = _EXAMPLE.get(param.name, "1.0")
    if inp.auto_added:
        message = (
            f"{view.method.name} requires '{param.name}' for every input, and base_model '{name}' is added as an input "
            f"without one; {view.method.name} does not use a base model, so remove base_model or list it with a {param.name}"
        )
        ctx.report(RULE, inp.model_node, message)
        return
    if coverage == NONE:
        beside = inp.entry.get(param.name) is not None
        note = f" ('{param.name}' beside 'model:' is ignored: it belongs under parameters:)" if beside else ""
        message = f"{view.method.name} requires '{param.name}' for model '{name}'{note}"
        fixes = _add(ctx, inp.entry, param.name, value)
        if _lone_linear(view, group):
            fixes.append(Fix("Switch to passthrough", (replace_scalar(view.method_node, "passthrough"),)))
        ctx.report(RULE, inp.model_node or inp.entry, message, fixes)
    else:
        ctx.report(
            RULE,
            inp.model_node or inp.entry,
            f"'{param.name}' for model '{name}' is set only for tensors matching its filters; add an entry "
            f"without a filter (- value: {value}) so the other tensors get one",
            severity="warning",
        )


def _lone_linear(view, group) -> bool:
    return view.method.name == "linear" and len(group.inputs) == 1 and len(view.groups) == 1
