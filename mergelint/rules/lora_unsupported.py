"""## What it does
Reports the adapter side of `model+lora` when it is not an adapter mergelint's
engine can apply: a folder without `adapter_config.json` (a whole model, or no PEFT
adapter at all), a prompt-learning adapter (prompt or prefix tuning) that cannot be
merged into weights, and LoRA variants the engine does not apply: DoRA, other PEFT
types (LoHa, LoKr, IA3, ...), `layer_replication`, QA-LoRA, aLoRA, trainable token
indices, and adapters stored only as a pickled `adapter_model.bin`.

## Why is this bad?
A folder that is not an adapter, or an adapter that cannot be merged, makes mergekit
fail. The variants are applied by mergekit through PEFT but not by `mergelint run`,
which refuses them (an error there, a warning in `check`).

## Example
```yaml
models:
  - model: org/base+org/dora-adapter   # use_dora: true
```

Use instead: a plain LoRA adapter, or merge the DoRA adapter into its base with PEFT
(`merge_and_unload`) and reference the merged model.
"""

from merge_core.language import ADAPTER_CONFIG

from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML304", "lora-unsupported", "warning", "The adapter is not a plain LoRA adapter the engine can apply",
            needs=Needs.MODEL_FACTS)

PROMPT_LEARNING = {"PROMPT_TUNING", "P_TUNING", "PREFIX_TUNING", "ADAPTION_PROMPT", "MULTITASK_PROMPT_TUNING", "CPT"}
OPTIONS = {
    "layer_replication": "layer_replication",
    "use_qalora": "QA-LoRA (use_qalora)",
    "alora_invocation_tokens": "aLoRA (alora_invocation_tokens)",
    "trainable_token_indices": "trainable_token_indices",
}


@RULE.checker
def check(ctx: Context) -> None:
    for use in ctx.facts.distinct(ctx.view, key=lambda u: u.ref.lora):
        lora = use.ref.lora
        folder = ctx.facts.folder(lora)
        if folder is None or any(name == ADAPTER_CONFIG for name, _ in folder.problems):
            continue
        where = part_node(use.node, use.ref, "lora")
        variant = "error" if ctx.facts.for_run else "warning"
        adapter = folder.adapter
        if adapter is None:
            what = "a whole model (config.json and weights)" if folder.is_model else "a folder"
            ctx.report(RULE, where, f"'{lora}' is {what} without adapter_config.json, not a PEFT adapter: mergekit fails applying it", severity="error")
            continue
        kind = adapter.peft_type
        if kind in PROMPT_LEARNING:
            ctx.report(RULE, where, f"'{lora}' is {_article(kind)} {kind} adapter: prompt learning adds no weights to merge, and mergekit fails applying it", severity="error")
        elif kind != "LORA":
            ctx.report(RULE, where, f"'{lora}' is {_article(kind)} {kind} adapter: mergekit applies it through PEFT, but mergelint run applies only LoRA", severity=variant)
        elif adapter.use_dora:
            ctx.report(RULE, where, f"'{lora}' is a DoRA adapter (use_dora: true): mergekit applies it through PEFT, but mergelint run applies plain LoRA only", severity=variant)
        elif any(adapter.config.get(key) for key in OPTIONS):
            used = ", ".join(label for key, label in OPTIONS.items() if adapter.config.get(key))
            ctx.report(RULE, where, f"adapter '{lora}' uses {used}: mergelint run cannot apply it (mergekit does, through PEFT)", severity=variant)
        elif adapter.tensor_file == "adapter_model.bin":
            ctx.report(
                RULE,
                where,
                f"adapter '{lora}' is stored as a pickled adapter_model.bin: mergelint run refuses pickles "
                "(convert it to adapter_model.safetensors)",
                severity=variant,
            )


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
