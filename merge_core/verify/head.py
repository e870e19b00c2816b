"""## What it does
Compares the output head with `tie_word_embeddings` in config.json (or its `text_config`):
an error when `lm_head.weight` is absent while the config says the head is not tied to the
input embedding, a warning when it is present but the config ties it (transformers then
ignores the stored head and uses the embedding). Nothing is reported when the config does
not say (each architecture has its own default).

## Why is this bad?
An absent untied head is initialised with random values when the model loads, so it
generates noise; a stored head that is ignored means the merge of the head was thrown
away. Both come from merging models that tie their embeddings differently.

Use instead: merge models that agree on `tie_word_embeddings` (`mergelint check` warns
with `tie-embeddings-mismatch`), or set it in the output's config.json to match the tensors.
"""

from ..language import MODEL_CONFIG
from .check import Check, Finding
from .layout import config_flag

CHECK = Check("MV103", "lm-head-tie", "error", "The output head disagrees with tie_word_embeddings")
HEAD_NAMES = ("lm_head.weight", "embed_out.weight")


def head_tensor(names) -> str | None:
    return next((n for n in names if n in HEAD_NAMES or n.endswith(tuple("." + h for h in HEAD_NAMES))), None)


def run(folder, stats):
    tied = config_flag(folder.config, "tie_word_embeddings")
    if tied is None or not folder.complete:
        return
    head = head_tensor(folder.tensors)
    if head is None and not tied:
        yield Finding(CHECK, MODEL_CONFIG, "tie_word_embeddings is false but no lm_head.weight is stored: "
                      "transformers would initialise the output head with random weights", key="tie_word_embeddings")
    elif head is not None and tied:
        yield Finding(CHECK, folder.shard_of(head), f"{head} is stored but config.json ties the head to the input "
                      "embedding (tie_word_embeddings: true): transformers ignores this tensor", severity="warning")
