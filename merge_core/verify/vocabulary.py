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

from .check import Check, Finding
from .head import head_tensor
from .layout import config_int
from ..inspect.facts import EMBEDDING_SUFFIXES

CHECK = Check("MV104", "vocab-size", "error", "Embedding rows, vocab_size and the tokenizer's size disagree")


def embedding_tensor(folder) -> str | None:
    return next((n for n, i in folder.tensors.items() if n.endswith(EMBEDDING_SUFFIXES) and len(i.shape) == 2), None)


def _ids(data, part: str):
    """Token ids of one tokenizer file's JSON, by which part of it they come from."""
    if part == "tokenizer.json":
        vocab = (data.get("model") or {}).get("vocab") if isinstance(data.get("model"), dict) else None
        if isinstance(vocab, dict):
            yield from (v for v in vocab.values() if isinstance(v, int))
        elif isinstance(vocab, list):
            yield len(vocab) - 1
        for token in data.get("added_tokens") or ():
            if isinstance(token, dict) and isinstance(token.get("id"), int):
                yield token["id"]
    elif part == "tokenizer_config.json":
        decoder = data.get("added_tokens_decoder")
        if isinstance(decoder, dict):
            yield from (int(k) for k in decoder if str(k).isdigit())
    else:  # added_tokens.json, vocab.json: {token: id}
        yield from (v for v in data.values() if isinstance(v, int))


def tokenizer_size(folder, findings) -> tuple[int | None, str | None]:
    """The tokenizer's size (highest id + 1) and the file that sets it; (None, None) without tokenizer files."""
    best, where = None, None
    for name in ("tokenizer.json", "tokenizer_config.json", "added_tokens.json", "vocab.json"):
        data = folder.json(name, findings)
        if data is None:
            continue
        top = max(_ids(data, name), default=None)
        if top is not None and (best is None or top + 1 > best):
            best, where = top + 1, name
    return best, where


def run(folder, stats):
    embedding = embedding_tensor(folder)
    if embedding is None:
        return
    rows = folder.tensors[embedding].shape[0]
    size, key = config_int(folder.config, "vocab_size", "padded_vocab_size")
    if size is not None and size != rows:
        yield Finding(CHECK, "config.json", f"{key} is {size} but {embedding} has {rows} rows: transformers refuses "
                      "the checkpoint (size mismatch)", key=key)
    head = head_tensor(folder.tensors)
    if head is not None and folder.tensors[head].shape[:1] != (rows,):
        yield Finding(CHECK, folder.shard_of(head), f"{head} has {folder.tensors[head].shape[0]} rows but {embedding} "
                      f"has {rows}: the head and the embedding must cover the same vocabulary")
    problems = []
    tokens, where = tokenizer_size(folder, problems)
    yield from problems
    if tokens is not None and tokens > rows:
        yield Finding(CHECK, where, f"the tokenizer has {tokens} tokens (added tokens included) but {embedding} has only "
                      f"{rows} rows: ids {rows} and up crash generation (index out of range); set tokenizer_source "
                      "in the merge config")
