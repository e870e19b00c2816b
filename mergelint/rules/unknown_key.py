"""## What it does
Finds keys mergekit does not know at their place: typos (`dtpye`), invented options
(`output_model`, `target_model`), and parameters written beside `model:` or at the top
level instead of under `parameters:`. In a mergekit-moe config, keys that neither the
config nor an expert has (`positive_prompt`, `gate`). In a mergekit-evolve config, keys its
genome, tasks and top level do not have (`layer_granulartiy`, a task's `wieght`), and its keys
written a level off (a task's `limit`, which belongs at the top level).

## Why is this bad?
mergekit (and mergekit-moe, mergekit-evolve) silently drops every unknown key. A `weight:`
written next to `model:` is never read, so the merge either fails later with "Missing required parameter weight"
or quietly uses another value.

## Example
```yaml
models:
  - model: org/a
    weight: 0.5
```

Use instead:
```yaml
models:
  - model: org/a
    parameters:
      weight: 0.5
```

The fixes, renaming a misspelt key and moving a parameter under `parameters:` (as the
parameter it is closest to when it is misspelt too, `weigth: 0.5` -> `weight: 0.5`), keep
the user's value: both are safe, and both win over a fix that would invent a value for the
same parameter.
"""

from merge_core.evolve.language import home_of
from merge_core.language import owns_parameters
from merge_core.methods import METHODS
from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..diagnostics import Edit, Fix
from ..document import Position, Range
from ..edits import (
    add_parameter, delete_flow_pair, delete_pair_lines, pair_text, parameter_slot, replace_scalar, slot, trailing_comment,
)
from ..rule import Context, Rule
from ..suggest import closest
from ..validate import IssueKind, locate

RULE = Rule("ML004", "unknown-key", "warning", "mergekit ignores this key",
            tools=(*MERGEKIT_YAML_TOOLS, Tool.MOE, Tool.EVOLVE))

_PARAMETER_NAMES = {p.name for m in METHODS.values() for p in m.params}


@RULE.checker
def check(ctx: Context) -> None:
    for issue in ctx.schema_errors:
        if issue.kind is not IssueKind.UNKNOWN_KEY or issue.key is None:
            continue
        parent_path = issue.path[:-1]
        parent, _ = locate(ctx.config.root, parent_path)
        # Only mergekit-yaml has `parameters:`; a moe or evolve config's unknown key is only renamed.
        takes_parameters = ctx.view is not None and parent is not None and owns_parameters(parent_path)
        if issue.name in _PARAMETER_NAMES and takes_parameters:
            fix = _move_under_parameters(ctx, parent, issue.key, issue.node)
            ctx.report(
                RULE,
                issue.key,
                f"'{issue.name}' is a parameter, and mergekit ignores it here: it belongs under parameters:",
                [fix] if fix else [],
            )
            continue
        suggestion = closest(str(issue.name), issue.options)
        fixes = []
        message = f"unknown key '{issue.name}': mergekit ignores it"
        meant = _meant_parameter(ctx, str(issue.name)) if takes_parameters else None
        if not suggestion and meant:  # a misspelt parameter beside `model:`: move it and keep its value
            fix = _move_under_parameters(ctx, parent, issue.key, issue.node, meant)
            ctx.report(RULE, issue.key, message + f"; did you mean the parameter '{meant}'? It belongs under parameters:",
                       [fix] if fix else [])
            continue
        if suggestion:
            message += f"; did you mean '{suggestion}'?"
            writes = frozenset({slot(parent, suggestion)}) if parent is not None else frozenset()
            fixes.append(Fix(f"Rename to '{suggestion}'", (replace_scalar(issue.key, suggestion),), preferred=True, writes=writes))
        elif ctx.evolve is not None and home_of(str(issue.name), parent_path):
            message += f"; it belongs {home_of(str(issue.name), parent_path)}"
        elif issue.options:
            message += f" (allowed here: {', '.join(issue.options)})"
        ctx.report(RULE, issue.key, message, fixes)


def _meant_parameter(ctx: Context, name: str) -> str | None:
    method = ctx.view.method
    return closest(name, [p.name for p in method.params] if method is not None else _PARAMETER_NAMES)


def _move_under_parameters(ctx: Context, owner, key, value, name: str | None = None) -> Fix | None:
    """Move the pair under the owner's `parameters:`, as `name` when given (a misspelt one)."""
    name = name or str(key.value)
    text = pair_text(ctx.source, key, value)
    if text is None or not (value.is_scalar or value.flow):
        return None
    source = ctx.source
    # what follows the key: the key itself may hold a colon (`density:: 0.5` is the key `density:`)
    rest = text[source.offset(key.range.end) - source.offset(key.range.start):]
    if not rest.lstrip().startswith(":"):
        return None  # a key with no value (`{density 0.5}`): nothing to move
    if not (owner.range.start <= key.range.start and value.range.end <= owner.range.end):
        return None  # merged in with `<<` from an anchor elsewhere: moving it would change the anchor
    if owner.key_node("parameters") is not None:
        delete = delete_flow_pair(source, owner, key) if owner.flow else delete_pair_lines(source, key, value)
        if delete is None:
            return None
        value_text = rest.lstrip()[1:].strip()
        comment = trailing_comment(source, value)
        params = owner.get("parameters")
        if comment and not owner.flow:
            if params is not None and params.flow:  # no comments inside {...}: leave it where it was
                line_end = Position(key.range.start.line, len(source.line_text(key.range.start.line)))
                delete = Edit(Range(key.range.start, line_end), comment)
            else:  # the comment moves with its pair
                value_text += f"  {comment}"
        add = add_parameter(source, owner, name, value_text)
        if add is None:
            return None
        edits = (add, delete)
    elif owner.flow:
        edits = (Edit(Range(key.range.start, value.range.end), f"parameters: {{{name}{rest}}}"),)
    else:
        # No parameters yet: nest the pair where it stands.
        indent = " " * (key.range.start.column + 2)
        at = key.range.start
        renamed = name != str(key.value)
        edits = (Edit(key.range if renamed else Range(key.range.start, key.range.start),
                      f"parameters:\n{indent}" + (name if renamed else "")),)
    title = "Move under parameters:" + (f" as '{name}'" if name != str(key.value) else "")
    return Fix(title, edits, preferred=True, writes=frozenset({parameter_slot(owner, name)}))
