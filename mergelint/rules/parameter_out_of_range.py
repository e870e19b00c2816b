"""## What it does
Checks parameter values against the range where the method's math makes sense:
`density` in (0, 1], slerp's `t` in [0, 1], `gamma` in [0, 1), `select_topk` in
(0, 1], and for della and della_linear that `density - epsilon` and
`density + epsilon` both stay inside (0, 1) (epsilon defaults to 0.15).

## Why is this bad?
mergekit declares no bounds. della fails mid-merge with `Epsilon must be chosen such
that density +/- epsilon is in (0, 1)`; the other values run and silently do something
else: a density of 0 drops the whole task vector, a `t` of 1.5 extrapolates.

## Example
```yaml
merge_method: della
parameters:
  density: 0.9
```

Use instead (0.9 + 0.15 reaches 1; a smaller epsilon keeps it inside):
```yaml
merge_method: della
parameters:
  density: 0.9
  epsilon: 0.05
```
"""

from ..params import ALL, as_number, reads, resolve, scalars
from ..rule import Context, Rule

RULE = Rule("ML104", "parameter-out-of-range", "warning", "A parameter value is outside the range the method handles")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    if view.method is None:
        return
    reported: set = set()
    for params, _ in view.parameter_maps():
        for key, setting in params.pairs:
            param = view.method.param(key.value) if isinstance(key.value, str) else None
            if param is None or param.bounds is None:
                continue
            for node in scalars(setting):
                number = as_number(node.value)
                if number is None or param.bounds.contains(number) or id(node) in reported:
                    continue
                reported.add(id(node))
                ctx.report(
                    RULE,
                    node,
                    f"{param.name} {node.value} is outside {param.bounds.describe()}: {param.bounds.why}",
                    severity=param.bounds.severity,
                )
    if view.method.param("epsilon") is not None and view.method.param("density") is not None:
        _check_della(ctx, reported)


def _values(view, group, inp, name):
    param = view.method.param(name)
    coverage, settings = resolve(view, group, inp, param)
    nodes = [n for s in settings for n in scalars(s)]
    pairs = [(as_number(n.value), n) for n in nodes]
    pairs = [(v, n) for v, n in pairs if v is not None]
    if coverage != ALL:
        pairs.append((float(param.default), None))
    return pairs


def _check_della(ctx: Context, reported: set) -> None:
    view = ctx.view
    for group in view.groups:
        for inp in group.inputs:
            if not reads(view.method.param("density"), group, inp):
                continue
            epsilons = _values(view, group, inp, "epsilon")
            for density, dnode in _values(view, group, inp, "density"):
                if not 0 < density < 1:
                    continue  # density >= 1 keeps everything and <= 0 drops everything: epsilon unused
                for eps, enode in epsilons:
                    if density - eps > 0 and density + eps < 1:
                        continue
                    where = enode or dnode or inp.model_node
                    key = (id(where), density, eps)
                    if where is None or key in reported:
                        continue
                    reported.add(key)
                    source = "" if enode is not None else " (the default)"
                    limit = min(density, 1 - density)
                    ctx.report(
                        RULE,
                        where,
                        f"{view.method.name} needs density - epsilon > 0 and density + epsilon < 1: density {density:g} "
                        f"with epsilon {eps:g}{source} leaves that range, and mergekit fails mid-merge; "
                        f"use an epsilon below {limit:g}",
                        severity="error",
                    )
