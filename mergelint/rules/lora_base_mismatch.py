"""## What it does
Compares the base a LoRA adapter declares (`base_model_name_or_path` in its
`adapter_config.json`) with the model it is attached to in `model+lora`. When the
shapes do not fit, it is an error (PEFT fails loading it); when they happen to fit, a
warning: the merge runs and applies deltas learnt for other weights. The fix rewrites
the reference to the declared base.

Two names count as the same model when they are the same text, the same folder name
(a local copy of a Hub repository) or resolve to the same folder.

## Why is this bad?
A LoRA is a delta for one set of weights. On another base of the same shape (a
sibling fine-tune, another version) it merges without a word and the result is
quietly worse; on a base of another shape, mergekit fails deep inside the merge.

## Example
```yaml
models:
  - model: mistralai/Mistral-7B-v0.1+org/llama-2-7b-lora
```

Use instead:
```yaml
models:
  - model: meta-llama/Llama-2-7b-hf+org/llama-2-7b-lora
```

## Fix safety
This rule's fix is marked as unsafe, as it changes the model being merged: the declared
base replaces the one written, and it may not be where the merge runs, or may not be the
model the author meant to adapt. `mergelint check --fix` applies it only with `--unsafe-
fixes`; the editor offers it as a quick fix but leaves it out of fix-all.
"""

from merge_core.inspect import lora_fit
from merge_core.inspect.hfcache import valid_repo_id

from ..diagnostics import Edit, Fix
from ..edits import replace_scalar
from ..model_facts import attached_adapters, part_node, part_span
from ..rule import Context, Needs, Rule

RULE = Rule("ML301", "lora-base-mismatch", "warning", "A LoRA adapter is attached to another model than the one it was trained on",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    for use, base, adapter, elsewhere in attached_adapters(ctx.facts, ctx.view):
        if not elsewhere:
            continue
        declared = adapter.base_model
        model, lora = str(use.ref.model), str(use.ref.lora)
        fit = lora_fit(base, adapter) if base is not None else None
        head = f"adapter '{lora}' was trained on '{declared}', not '{model}'"
        severity = "warning"
        if fit is not None and fit.fails:
            severity = "error"
            if fit.no_target_matches is not None:
                why = f"none of its target modules ({', '.join(fit.no_target_matches)}) exists in '{model}'"
            else:
                more = f" (and {len(fit.conflicts) - 1} more)" if len(fit.conflicts) > 1 else ""
                why = fit.conflicts[0] + more
            message = f"{head}, and does not fit it: {why}; PEFT fails loading it"
        elif fit is not None:
            dropped = f"; {len(fit.missing)} of its modules do not exist there and are dropped" if fit.missing else ""
            message = f"{head}: its shapes fit, so the merge runs, but it applies deltas learnt for other weights{dropped}"
        else:
            message = head
        ctx.report(RULE, part_node(use.node, use.ref, "model"), message, _fixes(ctx, use, declared), severity=severity)


def _fixes(ctx: Context, use, declared: str) -> list[Fix]:
    if not (valid_repo_id(declared) or ctx.facts.resolve(declared).ok):
        return []  # a path on the machine it was trained on
    if use.node.is_map:
        inner = use.node.get("model")
        if inner is None or not inner.is_scalar:
            return []
        edit = replace_scalar(inner, declared)
    else:
        span = part_span(use.node, use.ref, "model")
        if span is None:
            return []
        edit = Edit(span, declared)
    return [Fix(f"Attach to the declared base {declared}", (edit,), safe=False, preferred=True)]
