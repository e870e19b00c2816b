"""## What it does
Checks the grammar of model references: `path[@revision][+lora[@revision]]`, or the
dict form `{model, lora, override_architecture}`. At most one `+`, at most one `@` on
each side, and no empty parts.

## Why is this bad?
mergekit fails with `Can't parse a+b+c` or `Invalid model path - multiple @`; an empty
path or revision fails later, when the model is looked up.

## Example
```yaml
models:
  - model: org/base+org/lora-a+org/lora-b
```

Use instead: merge one adapter per reference (`org/base+org/lora-a`), and list the
other as its own model.
"""

from merge_core.references import ModelReferenceError
from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..document import Node, Range
from ..rule import Context, Rule

RULE = Rule("ML201", "invalid-model-reference", "error", "A model reference does not follow mergekit's grammar",
            tools=(*MERGEKIT_YAML_TOOLS, Tool.MOE, Tool.EVOLVE))


def _span(node: Node, error: ModelReferenceError) -> Node | Range:
    if error.start is None or not node.is_scalar or node.range.start.line != node.range.end.line:
        return node
    quote = 1 if node.style in ('"', "'") else 0
    if node.style not in (None, '"', "'") or (quote and "\\" in str(node.value)):
        return node
    line, col = node.range.start.line, node.range.start.column + quote
    start, end = error.start, max(error.end, error.start + 1)
    length = len(str(node.value))
    if end > length:  # an empty part at the end (`org/a+`): point at its separator
        start, end = max(length - 1, 0), length
    return Range.of(line, col + start, line, col + end)


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.config  # a mergekit-moe config's base and source models, and a mergekit-evolve
    # genome's models, are ModelReferences too
    seen: set[int] = set()
    for node, *_ in view.reference_nodes():
        if id(node) in seen or not (node.is_scalar and isinstance(node.value, str) or node.is_map):
            continue
        seen.add(id(node))
        _, error = view.references.parse(node.value)
        if error is not None:
            ctx.report(RULE, _span(node, error), error.message)
