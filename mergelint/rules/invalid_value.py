"""## What it does
Checks the shape and types of the config against mergekit's schema (mergekit-evolve's for a
`genome:` config: `models` a non-empty list, `tasks` a list of names or {name, weight, metric},
`layer_granularity` an integer, as pydantic coerces it): required keys
(`merge_method`, `model`, `layer_range`, `sources`), exactly one of `models`, `slices`
and `modules`, lists where lists go, numbers where numbers go, and parameter values of
the type the method declares (`weight` a number, `normalize` true or false,
`max_iter` a whole number), read exactly as mergekit's pydantic reads them (`" TRUE "`
is no boolean, `"1e3"` no integer, a 309-digit integer no float). A number must also be
finite: mergekit takes `.nan` and `.inf` and writes NaN weights.

## Why is this bad?
Some of these fail when mergekit loads the file; others (a parameter of the wrong
type) only after every model has been downloaded.

## Example
```yaml
merge_method: linear
models:
  - model: org/a
    parameters:
      weight: heavy
```

Use instead:
```yaml
merge_method: linear
models:
  - model: org/a
    parameters:
      weight: 1.0
```
"""

from merge_core.evolve.language import GENOME, key_at
from merge_core.language import DTYPE_KEYS, MERGE_METHOD
from merge_core.method_kit.spec import ParamType
from merge_core.moe.language import EXPERT_NUMBERS, GATE_MODE, NUMBERS
from merge_core.tools import Tool

from ..diagnostics import Fix
from ..document import Node, Range
from ..edits import replace_scalar
from ..evolve_view import read
from ..params import malformed, scalars, type_problem, value_problem
from ..rule import Context, Needs, Rule
from ..validate import IssueKind

RULE = Rule("ML003", "invalid-value", "error", "A key is missing or a value has the wrong type or shape",
            needs=Needs.DOCUMENT, tools=(Tool.YAML, Tool.MULTI, Tool.MOE, Tool.EVOLVE))

# Schema errors another rule explains better.
_OWNED_ELSEWHERE = {(MERGE_METHOD,), (GENOME, MERGE_METHOD), (GATE_MODE,), *((key,) for key in DTYPE_KEYS)}
# What each tool's config needs at least, for the message on an empty one.
_NEEDS = {
    Tool.MOE: "mergekit-moe config needs base_model and experts",
    Tool.EVOLVE: "mergekit-evolve config needs genome and tasks",
}


def _anchor(node: Node | None, key: Node | None) -> Node | Range | None:
    if key is not None:
        return key
    if node is not None and node.is_map and node.pairs:
        return node.pairs[0][0]
    return node


@RULE.checker
def check(ctx: Context) -> None:
    root = ctx.document.root
    if ctx.document.problem is not None:
        return
    if root is None or root.is_scalar and root.value is None and root.range.start == root.range.end:
        # No text at all, or a document with nothing after its `---`.
        what = "document" if ctx.multi_document else "file"
        where = Range.of(0, 0, 0, 0) if root is None else root
        needs = _NEEDS.get(ctx.tool, "merge config needs merge_method and models or slices")
        ctx.report(RULE, where, f"the {what} is empty: a {needs}")
        return
    if not root.is_map:
        ctx.report(RULE, root, "a merge config is a mapping of keys (merge_method, models, ...) at the top level")
        return
    if ctx.config is None:  # another tool's config: wrong-tool said so, and its keys are not this tool's
        return
    for issue in ctx.schema_errors:
        if issue.kind in (IssueKind.UNKNOWN_KEY, IssueKind.PARAMETER_NAME):
            continue
        if issue.kind is IssueKind.ENUM and issue.path in _OWNED_ELSEWHERE:
            continue
        if ctx.evolve is not None and _coerced(issue):
            continue
        where = _anchor(issue.node, issue.key) if issue.kind in (IssueKind.MISSING, IssueKind.CONFLICT) else issue.node
        if issue.kind is IssueKind.ENUM:
            allowed = ", ".join(str(o) for o in issue.options)
            ctx.report(RULE, where or root, f"{issue.message}: expected one of {allowed}")
        else:
            ctx.report(RULE, where or root, issue.message)
    if ctx.moe is not None:
        _check_moe_numbers(ctx)
    _check_parameter_types(ctx)


def _check_moe_numbers(ctx: Context) -> None:
    """mergekit-moe's numbers, read as its pydantic reads them when it loads the config."""
    moe = ctx.moe
    owners = [(moe.root, NUMBERS)] + [(e.entry, EXPERT_NUMBERS) for e in moe.all_experts]
    for owner, numbers in owners:
        for key, kind in numbers.items():
            node = owner.get(key)
            if node is not None and node.is_scalar and not malformed(node, ctx.schema_errors):
                problem = value_problem(key, kind, node.value, "when it loads the config", "mergekit-moe")
                if problem:
                    ctx.report(RULE, node, problem)


# pydantic's lax mode, which mergekit-evolve's models use: "4" is an integer, "yes" a boolean.
_LAX = {"integer": ParamType.INT, "number": ParamType.FLOAT, "boolean": ParamType.BOOL}


def _coerced(issue) -> bool:
    """Whether mergekit-evolve takes the value the schema calls mistyped, as pydantic coerces it."""
    key = key_at(issue.path)
    if issue.kind is not IssueKind.TYPE or key is None or key.type not in _LAX:
        return False
    return read(issue.node, _LAX[key.type]) is not None


def _check_parameter_types(ctx: Context) -> None:
    view = ctx.view
    method = view.method if view is not None else None
    if method is None:
        return
    for node, _ in view.parameter_maps():
        for key, setting in node.pairs:
            param = method.param(key.value)
            if param is None or malformed(setting, ctx.schema_errors):
                continue
            for value in scalars(setting):
                problem = type_problem(param, value.value)
                if problem:
                    ctx.report(RULE, value, problem, _unspaced(param, value))


def _unspaced(param, node: Node) -> list[Fix]:
    """The fix for a value that only its surrounding spaces spoil (`" TRUE "`)."""
    text = node.value.strip() if isinstance(node.value, str) else None
    if not text or text == node.value or type_problem(param, text):
        return []
    return [Fix(f"Change to {text}", (replace_scalar(node, text),), preferred=True)]

