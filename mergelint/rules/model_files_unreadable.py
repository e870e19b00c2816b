"""## What it does
Reports the files of a resolved model or adapter that cannot be read as what they
claim to be: a config.json that is not JSON, a truncated safetensors file, a
safetensors header whose tensors lie outside the file (a header claiming a 1 TB
tensor in a 100 KB file), a shard listed in the index but missing, a symbolic link
loop in the cache, a file that cannot be opened. Each names the file and what is
wrong with it. It also says, as an info, when a model's tensor facts cannot be had at
all because its weights are pickled `.bin` files, which mergelint never unpickles.

## Why is this bad?
mergekit fails on these files when it loads the model, after the other models have
been downloaded and, for a big merge, after a long run.

## Example
```yaml
models:
  - model: ./models/half-copied   # model-00002-of-00004.safetensors was cut off
```

Use instead: copy or download the model again (`huggingface-cli download` checks the
files), or convert `.bin` weights to safetensors.
"""

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML310", "model-files-unreadable", "error", "A model's files are corrupt, truncated or unreadable",
            needs=Needs.MODEL_FACTS, tools=(*MERGEKIT_YAML_TOOLS, Tool.MOE, Tool.EVOLVE))


@RULE.checker
def check(ctx: Context) -> None:
    for use, part, mpath in ctx.facts.paths(ctx.config):
        folder = ctx.facts.folder(mpath)
        if folder is None:
            continue
        where = part_node(use.node, use.ref, part)
        if folder.problems:
            shown = "; ".join(f"{name}: {problem}" for name, problem in folder.problems[:3])
            more = f" (and {len(folder.problems) - 3} more)" if len(folder.problems) > 3 else ""
            ctx.report(RULE, where, f"'{mpath}' has files that cannot be read: {shown}{more}")
            continue
        why = folder.tensors_unavailable
        if why and folder.weight_format != "gguf":
            ctx.report(RULE, where, f"tensor shapes of '{mpath}' are unknown: {why}; the checks that need them are skipped", severity="info")
        elif folder.adapter is not None and folder.adapter.tensor_file == "adapter_model.bin":
            ctx.report(
                RULE,
                where,
                f"tensor shapes of adapter '{mpath}' are unknown: its weights are a pickled adapter_model.bin, which "
                "mergelint never unpickles; the checks that need them are skipped",
                severity="info",
            )
