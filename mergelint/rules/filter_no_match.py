"""## What it does
Checks each `filter:` of a conditional parameter value against the tensor names of
the models it applies to, read from their safetensors headers. A filter is a
substring test on the tensor name; one that is part of no name never applies. The
message lists the name parts that exist and suggests the closest one.

Filters under a model's own `parameters:` are matched against that model's names;
those of a slice against its sources; top-level ones against every merged model. The
check runs only when every one of those models' headers can be read.

## Why is this bad?
mergekit silently uses the fallback value (or the next level's) for every tensor, so
the merge runs with a setting the author did not mean: `self_attn` on GPT-2 (whose
attention is `attn.c_attn`), `mlp` on Zamba2 (`feed_forward`).

## Example
```yaml
parameters:
  t:
    - filter: self_atn
      value: 0.3
    - value: 0.5
```

Use instead: `filter: self_attn`.

## Fix safety
This rule's fix is marked as unsafe, as the suggested name part is the closest spelling,
not necessarily the tensors the author meant: the fixed filter changes which tensors get
the value. `mergelint check --fix` applies it only with `--unsafe-fixes`; the editor
offers it as a quick fix but leaves it out of fix-all.
"""

import re

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Needs, Rule
from ..suggest import closest

RULE = Rule("ML308", "filter-no-match", "warning", "A parameter filter matches no tensor name of the models",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    everyone = [i for g in view.groups for i in g.inputs]
    _params(ctx, view.params, everyone)
    modules = {}
    for group in view.groups:
        if group.module_params is not None:
            modules.setdefault(id(group.module_params), (group.module_params, []))[1].extend(group.inputs)
        _params(ctx, group.params, group.inputs)
        for inp in group.listed:
            _params(ctx, inp.params, [inp])
    for params, inputs in modules.values():
        _params(ctx, params, inputs)


def _params(ctx: Context, params, inputs) -> None:
    if params is None or not params.is_map:
        return
    filters = [
        item.get("filter")
        for _, value in params.pairs
        if value.is_seq
        for item in value.items
        if item.is_map and item.get("filter") is not None and isinstance(item.get("filter").value, str)
    ]
    if not filters:
        return
    names, models = _names(ctx, inputs)
    if names is None:
        return
    for node in filters:
        text = node.value
        if not text or any(text in name for name in names):
            continue
        parts = sorted({p for name in names for p in name.split(".") if p and not p.isdigit()})
        suggestion = closest(text, parts, cutoff=0.6)
        fixes = [Fix(f"Change to {suggestion}", (replace_scalar(node, suggestion),), safe=False, preferred=True)] if suggestion else []
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        sample = ", ".join(_layer_parts(names)[:10])
        ctx.report(
            RULE,
            node,
            f"filter '{text}' is part of no tensor name of {models}, so this value never applies{hint} "
            f"(their names are made of: {sample})",
            fixes,
        )


def _names(ctx: Context, inputs):
    names: set[str] = set()
    shown: list[str] = []
    for inp in inputs:
        if inp.ref is None:
            return None, None
        facts = ctx.facts.model(inp.ref)
        if facts is None or facts.tensors is None:
            return None, None
        names.update(facts.tensors)
        if inp.key not in shown:
            shown.append(inp.key)
    if not names:
        return None, None
    models = f"'{shown[0]}'" if len(shown) == 1 else f"{len(shown)} models"
    return names, models


_INDEX = re.compile(r"\.(\d+)\.")


def _layer_parts(names: set[str]) -> list[str]:
    """The distinct parts of the names outside layers and of layer 0, in name order."""
    out: list[str] = []
    for name in sorted(n for n in names if (m := _INDEX.search(n)) is None or m.group(1) == "0"):
        for part in name.split("."):
            if part and not part.isdigit() and part not in out and part not in ("weight", "bias"):
                out.append(part)
    return out
