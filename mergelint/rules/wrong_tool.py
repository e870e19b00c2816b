"""## What it does
Reports a file that no mergekit command reads as it is written: a `# mergelint: tool=`
comment that names no tool, or a file shaped like no mergekit config (`models` written as
a mapping beside top-level keys mergekit-yaml does not have).

mergelint recognises the four kinds of mergekit config from their keys: mergekit-yaml
(`merge_method` and `models`/`slices`), mergekit-moe (`experts`, `gate_mode`),
mergekit-multi (several `---` documents, or a `name:`) and mergekit-evolve (`genome`,
`tasks`). A `# mergelint: tool=yaml|moe|multi|evolve` comment, or the `tool` setting,
says which one a file is when its keys do not.

## Why is this bad?
mergekit rejects such a file only with "merge_method Field required" (or ignores most
of it), which does not say what the file was meant to be.

## Example
```yaml
# mergelint: tool=mergekit-moe
models:
  expert_a: org/a
  expert_b: org/b
routing: top2
```

Use instead: `# mergelint: tool=moe`, and the keys of the command the file is for.
"""

from merge_core.multi.language import NAME
from merge_core.tools import TOOL_NAMES, Tool, declared, recognise

from ..document import Range
from ..rule import ALL_TOOLS, Context, Needs, Rule
from ..suggest import closest
from ..validate import IssueKind

RULE = Rule("ML002", "wrong-tool", "error", "The file is no mergekit command's config", needs=Needs.DOCUMENT,
            tools=ALL_TOOLS)


@RULE.checker
def check(ctx: Context) -> None:
    if ctx.document.index == 0:
        _check_comment(ctx)
    root = ctx.document.root
    if ctx.tool is Tool.MULTI and ctx.view is not None:
        _check_stage(ctx)
    if ctx.tool is not Tool.YAML or ctx.view is None:
        return
    models = root.get("models")
    unknown = [i for i in ctx.schema_errors if i.kind is IssueKind.UNKNOWN_KEY and len(i.path) == 1]
    if models is not None and models.is_map and len(unknown) >= 2:
        names = ", ".join(i.name for i in unknown)
        ctx.report(
            RULE,
            root.key_node("models"),
            f"this file does not follow mergekit-yaml's format: models is a mapping and the top-level keys {names} "
            "are not mergekit's; mergekit-yaml would reject it",
        )
        ctx.view = None


def _check_comment(ctx: Context) -> None:
    written = declared(ctx.source.text)
    if written is None or written[0] in TOOL_NAMES:
        return
    name, offset = written
    start = ctx.source.position(offset)
    end = ctx.source.position(offset + len(name))
    meant = closest(name.removeprefix("mergekit-"), TOOL_NAMES)
    hint = f" (did you mean '{meant}'?)" if meant else ""
    ctx.report(RULE, Range(start, end),
               f"'{name}' is not a tool mergelint knows{hint}: write one of {', '.join(TOOL_NAMES)}")


def _check_stage(ctx: Context) -> None:
    """A mergekit-moe or -evolve config among the documents of a mergekit-multi stream: one
    finding, and none of mergekit-yaml's rules on it (they would only say it is not theirs)."""
    kind = recognise([[k.value for k, _ in ctx.document.root.pairs if k.value != NAME]])
    if kind not in (Tool.MOE, Tool.EVOLVE):
        return
    ctx.report(RULE, ctx.document.root.pairs[0][0],
               f"this document is a {kind.command} config, but mergekit-multi merges every document with "
               f"mergekit-yaml: run it with {kind.command} on its own, and name its output folder where a stage needs it")
    ctx.view = None
    ctx.schema_errors = []
