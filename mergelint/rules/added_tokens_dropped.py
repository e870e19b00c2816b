"""## What it does
Finds added tokens (fill-in-the-middle tokens such as `<|fim_prefix|>`, chat markers, tool
tokens: tokenizer.json's `added_tokens`, tokenizer_config.json's `added_tokens_decoder`,
added_tokens.json) that a merged model has and the output's tokenizer will not: the
tokenizer of the base model (or the first model) without a tokenizer setting, of the base
under `tokenizer_source: base`, or of the model `tokenizer_source` names. Nothing is
reported under `tokenizer_source: union`, which keeps every model's tokens.

## Why is this bad?
A model fine-tuned for code infilling or tool use relies on its added tokens; in the merged
model's tokenizer they are plain text, split into ordinary pieces, and what the model learned
for them (their embedding rows) is dropped with them.

## Example
```yaml
merge_method: linear
models:
  - model: org/base
  - model: org/coder-fim     # adds <|fim_prefix|>, <|fim_middle|>, <|fim_suffix|>
tokenizer_source: base
```

Use instead: `tokenizer_source: union`, or name the model whose tokens the output needs.
"""

from ..compat import merged, tokenizer, tokenizer_setting, tokenizer_source, where
from ..rule import Context, Needs, Rule

RULE = Rule("ML316", "added-tokens-dropped", "warning",
            "A merged model's added tokens are missing from the output's tokenizer", needs=Needs.MODEL_FACTS)
SHOWN = 4


@RULE.checker
def check(ctx: Context) -> None:
    models = merged(ctx)
    source = tokenizer_source(ctx, models)
    if source is None:
        return
    kept = tokenizer(source[1])
    if kept is None:
        return
    setting, _ = tokenizer_setting(ctx)
    how = f"tokenizer_source: {setting}" if setting else "no tokenizer setting"
    for use, facts in models:
        tok = tokenizer(facts)
        if use.ref.model == source[0].ref.model or tok is None:
            continue
        lost = [t for t in tok.added if t not in kept.added]
        if lost:
            names = ", ".join(lost[:SHOWN]) + (f" and {len(lost) - SHOWN} more" if len(lost) > SHOWN else "")
            ctx.report(RULE, where(use), f"'{use.ref.model}' has added token(s) {names} that the output's tokenizer "
                       f"(from '{source[0].ref.model}', {how}) lacks: they become plain text; use tokenizer_source: "
                       "union to keep them")
