"""## What it does
Finds a model reference in a mergekit-multi stream that is not a stage's name but nearly is
(`blend_1` where a stage is named `blend-1`), and is not a model that can be found either.

## Why is this bad?
Only a reference whose model path is exactly a stage's name reads that stage's output.
A near miss is looked up as a local folder or a Hugging Face repository: mergekit-multi
runs the stages independently and fails late, on a model that does not exist, or worse
merges a Hub model of that name.

## Example
```yaml
name: blend-1
merge_method: linear
models: [{model: org/a, parameters: {weight: 1}}, {model: org/b, parameters: {weight: 1}}]
---
merge_method: slerp
base_model: blend_1
models: [{model: blend_1}, {model: org/c}]
parameters: {t: 0.5}
```

Use instead: `blend-1`, the stage's name as written.

## Fix safety
This rule's fix is marked as unsafe: it changes which model the stage merges, from whatever
the name would be looked up as (a folder or Hub repository not found here, but perhaps where
the merge runs) to the earlier stage's output. `mergelint check --fix` applies it only with
`--unsafe-fixes`, and the editor's fix-all leaves it out.
"""

from merge_core.tools import Tool

from ..diagnostics import Edit, Fix
from ..rule import Context, Rule
from ..suggest import closest

RULE = Rule("ML504", "stage-name-typo", "warning", "A model reference nearly matches a stage's name",
            tools=(Tool.MULTI,))


@RULE.checker
def check(ctx: Context) -> None:
    names = ctx.stages.names
    own = ctx.stages.of_document(ctx.document.index)
    candidates = [n for n in names if own is None or n != own.name]
    for use in ctx.stages.references:
        if use.document != ctx.document.index or use.path in names:
            continue
        meant = closest(use.path, candidates, cutoff=0.8)
        if meant is None or (ctx.facts is not None and ctx.facts.resolve(use.path).ok):
            continue
        fix = Fix(f"Change to {meant}", (Edit(use.path_range(ctx.source), meant),), preferred=True, safe=False)
        ctx.report(RULE, use.path_range(ctx.source),
                   f"'{use.path}' is no stage's name and no model found here; did you mean the stage '{meant}'?", [fix])
