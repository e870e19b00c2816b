"""## What it does
Compares three vocabulary sizes: the rows of the input embedding (and of the output head),
`vocab_size` in config.json, and the tokenizer's size, added tokens included (the highest
token id in tokenizer.json's vocabulary and `added_tokens`, tokenizer_config.json's
`added_tokens_decoder`, added_tokens.json and vocab.json, plus one). The tokenizer files
are read as JSON; no tokenizer library is loaded. An embedding with more rows than the
tokenizer has tokens is normal (padding to a multiple of 64 or 128) and is not reported.

## Why is this bad?
Rows that disagree with `vocab_size` make transformers refuse the checkpoint (size
mismatch); a tokenizer with more tokens than the embedding has rows produces ids past its
end, which crash generation (index out of range) the first time such a token appears;
a head with another row count than the embedding does not load.

Use instead: a `tokenizer_source` (or `tokenizer:`) setting in the merge config, which
makes mergekit build embeddings for the output's tokenizer.
"""

from ..inspect.folder_facts import EMBEDDING_SUFFIXES
from ..inspect.tokenizer import read_tokenizer
from ..language import MODEL_CONFIG
from .check import Check, Finding
from .head import head_tensor
from .layout import config_int
from .unreadable import UNREADABLE_FILE

CHECK = Check("MV104", "vocab-size", "error", "Embedding rows, vocab_size and the tokenizer's size disagree")


def embedding_tensor(folder) -> str | None:
    return next((n for n, i in folder.tensors.items() if n.endswith(EMBEDDING_SUFFIXES) and len(i.shape) == 2), None)


def run(folder, stats):
    embedding = embedding_tensor(folder)
    if embedding is None:
        return
    rows = folder.tensors[embedding].shape[0]
    size, key = config_int(folder.config, "vocab_size", "padded_vocab_size")
    if size is not None and size != rows:
        yield Finding(CHECK, MODEL_CONFIG, f"{key} is {size} but {embedding} has {rows} rows: transformers refuses "
                      "the checkpoint (size mismatch)", key=key)
    head = head_tensor(folder.tensors)
    if head is not None and folder.tensors[head].shape[:1] != (rows,):
        yield Finding(CHECK, folder.shard_of(head), f"{head} has {folder.tensors[head].shape[0]} rows but {embedding} "
                      f"has {rows}: the head and the embedding must cover the same vocabulary")
    tokenizer = read_tokenizer(folder.path)
    for name, problem in tokenizer.problems:
        yield Finding(UNREADABLE_FILE, name, f"{name} cannot be read: {problem}")
    tokens, where = tokenizer.size, tokenizer.size_file
    if tokens is not None and tokens > rows:
        yield Finding(CHECK, where, f"the tokenizer has {tokens} tokens (added tokens included) but {embedding} has "
                      f"only {rows} rows: ids {rows} and up crash generation (index out of range); set tokenizer_source "
                      "in the merge config")
