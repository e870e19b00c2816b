"""## What it does
Compares the special tokens and the chat template of each merged model with those of the
model whose tokenizer the output takes (`tokenizer_source` or `tokenizer.source` when it
names a model or is `base`; without either, the base model, else the first, whose tokenizer
mergekit copies): the BOS, EOS and PAD ids in config.json, the BOS, EOS and PAD tokens in
tokenizer_config.json, and the chat template (tokenizer_config.json's `chat_template` or
chat_template.jinja). Nothing is compared under `tokenizer_source: union`.

## Why is this bad?
A chat fine-tune ends its turns with its own EOS token and expects its own template; merged
into a model that gets another tokenizer's EOS id or template, it never stops generating,
or sees prompts formatted in a way it was not trained on.

## Example
```yaml
merge_method: slerp
base_model: org/base           # eos_token_id 2, no chat template
models:
  - model: org/base
  - model: org/chatml-chat     # eos_token_id 32000 (<|im_end|>), a ChatML template
parameters: {t: 0.5}
```

Use instead: `tokenizer_source` naming the model whose tokens and template the output
should keep (and check that the others were trained with them), or `tokenizer:` with
`tokens:` settings.
"""

from ..compat import merged, tokenizer, tokenizer_source, where
from ..rule import Context, Needs, Rule

RULE = Rule("ML315", "special-tokens-mismatch", "warning",
            "Merged models have different special tokens or chat templates than the output's tokenizer", needs=Needs.MODEL_FACTS)
IDS = ("bos_token_id", "eos_token_id", "pad_token_id")


def _ids(facts) -> dict:
    config = facts.config or {}
    return {k: config.get(k) for k in IDS if config.get(k) is not None}


@RULE.checker
def check(ctx: Context) -> None:
    models = merged(ctx)
    source = tokenizer_source(ctx, models)
    if source is None:
        return
    ref_ids, ref_tok = _ids(source[1]), tokenizer(source[1])
    for use, facts in models:
        if use.ref.model == source[0].ref.model:
            continue
        diffs = [f"{k} {v} vs {ref_ids[k]}" for k, v in _ids(facts).items() if k in ref_ids and ref_ids[k] != v]
        tok = tokenizer(facts)
        if tok is not None and ref_tok is not None:
            diffs += [f"{k} {v!r} vs {ref_tok.special[k]!r}" for k, v in tok.special.items()
                      if k in ref_tok.special and ref_tok.special[k] != v]
            if tok.chat_template is not None and tok.chat_template != ref_tok.chat_template:
                diffs.append("its chat template" + (" (the output's tokenizer has none)"
                                                    if ref_tok.chat_template is None else " differs"))
        if diffs:
            ctx.report(RULE, where(use), f"'{use.ref.model}' differs from '{source[0].ref.model}', whose tokenizer the "
                       f"output takes, in {', '.join(diffs)}: it was trained to expect other tokens or prompts")
