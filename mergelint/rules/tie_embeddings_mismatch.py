"""## What it does
Compares `tie_word_embeddings` in the config.json of the models one config merges, each
against the model whose config.json the output gets (the base model, else the first).
A model that does not write the key is not compared (its architecture's default applies).

## Why is this bad?
A tied model has no output head of its own: its input embedding serves as the head. Merged
with untied models, the output follows the config it gets: untied, it needs a head that one of
its inputs does not have; tied, the head that was merged is ignored when the model loads. `mergelint verify` reports the
second case on the output (`lm-head-tie`).

## Example
```yaml
merge_method: linear
models:
  - model: org/untied-base  # tie_word_embeddings: false
  - model: org/tied-chat    # tie_word_embeddings: true
```

Use instead: merge models that tie their embeddings the same way.
"""

from ..compat import config_source, merged, where
from ..rule import Context, Needs, Rule

RULE = Rule("ML314", "tie-embeddings-mismatch", "warning", "Merged models differ in tie_word_embeddings",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    models = merged(ctx)
    top = config_source(models)
    if top is None or top[1].tie_word_embeddings is None:
        return
    tied = top[1].tie_word_embeddings
    for use, facts in models:
        if use is top[0] or facts.tie_word_embeddings in (None, tied):
            continue
        what = ("tied: the head that is merged is ignored when it loads, the embedding serves as the head" if tied else
                f"untied, while '{use.ref.model}' has no output head of its own (its embedding serves as one)")
        ctx.report(RULE, where(use), f"'{use.ref.model}' has tie_word_embeddings {str(not tied).lower()}, "
                   f"'{top[0].ref.model}' {str(tied).lower()}: the output gets the latter's config.json and is {what}")
