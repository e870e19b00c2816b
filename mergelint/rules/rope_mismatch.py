"""## What it does
Compares the position-embedding settings in the config.json of the models one config
merges: `rope_theta`, `rope_scaling`, `rope_parameters` (transformers 5's form of both) and
`max_position_embeddings`, each model against the model whose config.json the output gets
(the base model, else the first model), and names both values.

## Why is this bad?
mergekit copies one model's config.json into the output, so the merged model uses that
model's RoPE base and scaling for weights partly trained with another: a long-context
fine-tune (a larger `rope_theta`, a `yarn` scaling) merged with a short-context base loses
its context length, or all of the models see positions they were not trained on.

## Example
```yaml
merge_method: linear
models:
  - model: org/llama-8k    # rope_theta 10000
  - model: org/llama-128k  # rope_theta 500000, rope_scaling: llama3
```

Use instead: merge models of the same context setup, or set the output's RoPE settings
knowingly after the merge.
"""

import json

from ..compat import config_source, merged, where
from ..rule import Context, Needs, Rule

RULE = Rule("ML313", "rope-mismatch", "warning", "Merged models have different RoPE or context-length settings",
            needs=Needs.MODEL_FACTS)
KEYS = ("rope_theta", "rope_scaling", "rope_parameters", "max_position_embeddings")


def _settings(facts) -> dict:
    config = facts.config or {}
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    return {k: config.get(k, text.get(k)) for k in KEYS}


@RULE.checker
def check(ctx: Context) -> None:
    models = merged(ctx)
    top = config_source(models)
    if top is None:
        return
    ref = _settings(top[1])
    for use, facts in models:
        if use is top[0]:
            continue
        mine = _settings(facts)
        diffs = [f"{k} {json.dumps(mine[k])} vs {json.dumps(ref[k])}" for k in KEYS if mine[k] != ref[k]]
        if diffs:
            ctx.report(RULE, where(use), f"'{use.ref.model}' and '{top[0].ref.model}' (whose config.json the output "
                       f"gets) differ in {', '.join(diffs)}: the merged model uses the latter's settings for the "
                       "weights of both")
