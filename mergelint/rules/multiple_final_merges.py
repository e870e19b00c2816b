"""## What it does
Finds a second document without `name:` in a mergekit-multi stream.

## Why is this bad?
The one unnamed document is the final merge, written to `--out-path`; every other stage
needs a name to be written to `INTERMEDIATE_DIR/NAME` and read by later stages.
mergekit-multi stops with `Multiple unnamed merge configurations are not supported`.

## Example
```yaml
merge_method: linear
models: [{model: org/a, parameters: {weight: 1}}, {model: org/b, parameters: {weight: 1}}]
---
merge_method: slerp
base_model: org/a
models: [{model: org/a}, {model: org/c}]
parameters: {t: 0.5}
```

Use instead: `name: blend` on the first document, and `blend` where the second means it.
"""

from merge_core.multi.language import NAME
from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool, recognise

from ..diagnostics import Edit, Fix
from ..document import Range
from ..rule import Context, Rule

RULE = Rule("ML502", "multiple-final-merges", "error", "More than one document of a mergekit-multi stream has no name",
            tools=(Tool.MULTI,))


@RULE.checker
def check(ctx: Context) -> None:
    stage = ctx.stages.of_document(ctx.document.index)
    if stage is None or stage.name_node is not None:
        return
    # (a mergekit-moe or -evolve document is wrong-tool's finding, not a second final merge)
    unnamed = [s for s in ctx.stages.stages if s.name_node is None
               and recognise([[k.value for k, _ in s.root.pairs]]) in MERGEKIT_YAML_TOOLS]
    if stage not in unnamed[1:]:
        return
    first_key = stage.root.pairs[0][0] if stage.root.pairs else stage.root
    start = first_key.range.start
    name = _free_name(ctx, stage.document)
    fix = Fix(f"Name it {name}", (Edit(Range(start, start), f"{NAME}: {name}\n{' ' * start.column}"),),
              preferred=True, safe=True)
    line = unnamed[0].root.range.start.line + 1
    ctx.report(RULE, first_key, f"a second unnamed document (the first starts on line {line}): mergekit-multi takes one "
               "unnamed final merge and stops with 'Multiple unnamed merge configurations are not supported'; "
               "give this one a name", [fix])


def _free_name(ctx: Context, document: int) -> str:
    n = document + 1
    while ctx.stages.stage(f"stage-{n}") is not None:
        n += 1
    return f"stage-{n}"
