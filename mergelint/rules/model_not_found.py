"""## What it does
Resolves every model reference the way mergekit does: a path that exists is a local
folder (relative paths are taken from where mergekit runs; `mergelint check` uses the
current directory, the editor the workspace folder), anything else is a Hugging Face
repo id, looked up in the local Hugging Face cache, and on the Hub only with
`--online`. It reports a local path that does not exist, a path that is not a model
folder, and a name that is neither a folder nor a valid repo id. The repo ids that are
not in the cache while network use is off get one info together, on the first of them
(naming them all): the checks that need their files are skipped.

## Why is this bad?
mergekit only finds out after it has started, often after downloading every other
model. A local path is a warning here (configs are often checked where they do not
run, for example in CI) and an error in `mergelint run`. mergekit does not expand
`~`, so `~/models/x` is never found.

## Example
```yaml
models:
  - model: ./models/Llama-3-8B-Instruct   # not there
  - model: ~/models/mistral               # '~' is not expanded
```

Use instead: the folder's real path (or the Hugging Face repo id).
"""

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML206", "model-not-found", "warning", "A model reference names no local folder, cached model or Hub repository",
            needs=Needs.MODEL_FACTS, tools=(*MERGEKIT_YAML_TOOLS, Tool.MOE, Tool.EVOLVE))


@RULE.checker
def check(ctx: Context) -> None:
    not_cached = []  # Hub models that are simply not downloaded: one info for them all
    for use, part, mpath in ctx.facts.paths(ctx.config):
        res = ctx.facts.resolve(mpath)
        if res.ok:
            continue
        what, node = "adapter" if part == "lora" else "model", part_node(use.node, use.ref, part)
        if res.status == "not-cached":
            not_cached.append((what, node, res))
        else:
            severity, message = _verdict(ctx, res, what)
            ctx.report(RULE, node, message, severity=severity)
    if not_cached:
        ctx.report(RULE, not_cached[0][1], _not_cached(ctx, not_cached), severity="info")


def _not_cached(ctx: Context, found: list) -> str:
    what, _, res = found[0]
    hint = "" if ctx.facts.inspector.offline_env else " (--online reads {} metadata from the Hub)"
    if len(found) == 1:
        return f"{what} '{res.path}' is {res.message}: checks of its files are skipped{hint.format('its')}"
    names = ", ".join(str(r.path) for _, _, r in found)
    return (f"{len(found)} Hub models ({names}) are {res.message}: checks of their files are skipped"
            f"{hint.format('their')}")


def _verdict(ctx: Context, res, what: str) -> tuple[str, str]:
    name = str(res.path)
    status = res.status
    if status == "missing":
        severity = "error" if ctx.facts.for_run else "warning"
        return severity, f"{what} '{name}' is a local path that does not exist: {res.message}"
    if status == "not-a-model":
        return "warning", f"{what} '{name}' is not a model: {res.message}"
    if status == "invalid":
        return "warning", f"{what} '{name}' is {res.message}"
    if status == "unreadable":
        return "warning", f"cannot read {what} '{name}': {res.message}"
    if status == "not-found":
        return "warning", f"{what} '{name}' on the Hugging Face Hub: {res.message}"
    return "info", f"{what} '{name}': {res.message}; checks of its files are skipped"
