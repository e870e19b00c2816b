"""## What it does
Reports a file that no mergekit command reads as it is written: a `# mergelint: tool=`
comment that names no tool, a file shaped like no mergekit config (`models` written as
a mapping beside top-level keys mergekit-yaml does not have), or a file that mixes
mergekit-moe's keys (`experts`, `gate_mode`) with mergekit-yaml's (`merge_method`,
`models`, `slices`), or puts a mergekit-moe or -evolve config in a mergekit-multi stream: one
diagnostic for the document, instead of one per foreign key.

mergelint recognises the four kinds of mergekit config from their keys: mergekit-yaml
(`merge_method` and `models`/`slices`), mergekit-moe (`experts`, `gate_mode`),
mergekit-multi (several `---` documents, or a `name:`) and mergekit-evolve (`genome`,
`tasks`; a file that mixes it with mergekit-yaml's top-level `merge_method`, `models`, ...
gets one diagnostic here). A `# mergelint: tool=yaml|moe|multi|evolve` comment, or the `tool` setting,
says which one a file is when its keys do not.

## Why is this bad?
mergekit rejects such a file only with "merge_method Field required" (or ignores most
of it), which does not say what the file was meant to be. A mixed file is worse: each
command ignores the other's keys without a word, so mergekit-yaml merges `models:` and
drops the experts, and mergekit-moe builds the experts and drops the merge.

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

from merge_core.evolve.language import EVOLVE_KEYS, GENOME
from merge_core.language import LAYOUT_KEYS, MERGE_METHOD
from merge_core.language import TOP_LEVEL_KEYS as YAML_TOP_LEVEL_KEYS
from merge_core.moe.language import MOE_KEYS
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
    if ctx.evolve is not None:
        _check_mixed_evolve(ctx)
    elif ctx.config is not None and declared(ctx.source.text) is None:
        _check_mixed(ctx)
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


# The keys that say which of the two a file is for: each command ignores the other's.
_YAML_KEYS = (MERGE_METHOD, *LAYOUT_KEYS)


def _check_mixed(ctx: Context) -> None:
    """mergekit-moe and mergekit-yaml keys in one document (or mergekit-moe's in a mergekit-multi
    stream, whose documents are mergekit-yaml merges): said once, and the document is checked no further."""
    root = ctx.config.root
    moe = [k.value for k, _ in root.pairs if k.value in MOE_KEYS]
    yaml = [k.value for k, _ in root.pairs if k.value in _YAML_KEYS]
    if not moe or not yaml and ctx.tool is not Tool.MULTI:
        return
    foreign = moe if ctx.tool is not Tool.MOE else yaml
    if ctx.tool is Tool.MULTI:
        message = (f"mergekit-multi reads every document as a mergekit-yaml merge and does not know mergekit-moe's keys "
                   f"({', '.join(moe)}): a mergekit-moe config is a file of its own, for mergekit-moe")
    else:
        message = (f"this file mixes mergekit-moe's keys ({', '.join(moe)}) with mergekit-yaml's ({', '.join(yaml)}), and "
                   "each command ignores the other's: mergekit-yaml would drop the experts, mergekit-moe the merge. Keep "
                   "one command's keys (or add '# mergelint: tool=moe' or 'tool=yaml' to check it as that command's config)")
    ctx.report(RULE, root.key_node(foreign[0]), message)
    ctx.view = ctx.moe = None


def _check_mixed_evolve(ctx: Context) -> None:
    """mergekit-yaml's top-level keys in a mergekit-evolve config: one diagnostic for them, instead of
    an unknown key for each and the genome's missing ones (mergekit-evolve reads those under genome:)."""
    foreign = [i for i in ctx.schema_errors
               if i.kind is IssueKind.UNKNOWN_KEY and len(i.path) == 1 and i.name in YAML_TOP_LEVEL_KEYS]
    if not foreign:
        return
    names = {i.name for i in foreign}
    evolve = ", ".join(k for k in EVOLVE_KEYS if ctx.evolve.root.get(k) is not None)
    ctx.report(RULE, foreign[0].key, f"this file mixes mergekit-evolve's {evolve} with mergekit-yaml's top-level "
               f"{', '.join(sorted(names))}: mergekit-evolve ignores them and reads the models, merge_method and "
               f"base_model it searches under {GENOME}:")
    ctx.schema_errors = [i for i in ctx.schema_errors if i not in foreign and not _explained(i, names)]


def _explained(issue, names: set) -> bool:
    return issue.kind is IssueKind.MISSING and (issue.name == GENOME or issue.name in names)


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
