"""## What it does
Finds a value in a mergekit-multi stream that mergekit-multi mistakes for a model reference:
a `merge_method`, `dtype`, filter or other string that equals a stage's name, or a string
with two `+` (or two `@` on one side of a `+`), such as a chat template that joins strings.

## Why is this bad?
mergekit-multi 0.1.5 finds references to stages by parsing *every* string of every stage
as a model reference. One that equals a stage name is rewritten to `INTERMEDIATE_DIR/NAME`
wherever it is: `merge_method: linear` in a stream with a stage named `linear` becomes
`merge_method: merges/linear`, and the merge fails. A string with two `+` cannot be parsed
at all, and mergekit-multi stops with `RuntimeError: Can't parse ...` before merging
anything (mergekit-yaml reads the same document without complaint).

## Example
```yaml
name: linear
merge_method: linear
models: [{model: org/a, parameters: {weight: 1}}, {model: org/b, parameters: {weight: 1}}]
---
merge_method: slerp
base_model: linear
models: [{model: linear}, {model: org/c}]
parameters: {t: 0.5}
chat_template: "{{ '<|user|>' + message + '<|end|>' }}"
```

Use instead: a stage name that is no other value of the stream (`blend`); a chat template
given by name (`chatml`) or as `auto`, or set on the final model after merging.
"""

from merge_core.multi.stages import dotted
from merge_core.tools import Tool

from ..rule import Context, Rule
from ..stage_index import node_at

RULE = Rule("ML505", "stage-name-clash", "error", "mergekit-multi would rewrite or fail to parse a value as a model reference",
            tools=(Tool.MULTI,))


@RULE.checker
def check(ctx: Context) -> None:
    stage = ctx.stages.linked_of(ctx.document.index)
    if stage is None:
        return
    for path, value in stage.clashes:
        name = value.split("+")[0].split("@")[0]
        ctx.report(RULE, node_at(ctx.document.root, path) or ctx.document.root,
                   f"{dotted(path)} '{value}' names the stage '{name}': mergekit-multi rewrites every string that names "
                   f"a stage to the stage's folder, here too, and the merge fails; rename the stage")
    for path, value in stage.unparsable:
        shown = value if len(value) <= 40 else value[:37] + "..."
        ctx.report(RULE, node_at(ctx.document.root, path) or ctx.document.root,
                   f"{dotted(path)} has two '+' or '@': mergekit-multi parses every string as a model reference and "
                   f"stops with \"RuntimeError: Can't parse {shown}\"")
