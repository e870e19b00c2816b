"""## What it does
Reports a reference to a LoRA adapter (a folder with `adapter_config.json` and no
model weights of its own) used where a whole model is expected: as a model to merge,
as `base_model`, or as the model side of `model+lora`. The fix attaches the adapter to
the base it declares (`base_model_name_or_path`): `base+adapter`.

## Why is this bad?
mergekit loads the folder as a model and fails: there is no config.json and no weight
file, only the adapter's low-rank factors.

## Example
```yaml
models:
  - model: org/my-llama-lora
```

Use instead:
```yaml
models:
  - model: meta-llama/Llama-3.1-8B+org/my-llama-lora
```

## Fix safety
This rule's fix is marked as unsafe, as it trusts the base the adapter declares:
`base_model_name_or_path` may name a model that is not where the merge runs (a path on
the machine the adapter was trained on), or another revision than the one meant.
`mergelint check --fix` applies it only with `--unsafe-fixes`; the editor offers it as a
quick fix but leaves it out of fix-all.
"""

from merge_core.inspect.hfcache import valid_repo_id

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML303", "adapter-as-model", "error", "A LoRA adapter is used as a whole model", needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    for use in ctx.facts.distinct(ctx.view):
        folder = ctx.facts.folder(use.ref.model)
        if folder is None or not folder.is_adapter_only:
            continue
        declared = folder.adapter.base_model
        name = str(use.ref.model)
        fixes = []
        if declared:
            attach = f"'{declared}+{name}'"
            usable = valid_repo_id(declared) or ctx.facts.resolve(declared).ok
            if use.ref.lora is None and use.node.is_scalar and usable:
                fixes.append(Fix(f"Attach it to its base: {declared}+{name}", (replace_scalar(use.node, f"{declared}+{use.node.value}"),), safe=False, preferred=True))
        else:
            attach = f"'BASE+{name}' (the adapter does not declare its base)"
        ctx.report(
            RULE,
            part_node(use.node, use.ref, "model"),
            f"'{name}' is a LoRA adapter (adapter_config.json, no model weights), not a model: mergekit cannot "
            f"load it as one; attach it to its base: {attach}",
            fixes,
        )
