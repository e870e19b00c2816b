"""tokenizer_source / tokenizer: an output vocabulary, and vocabulary weights permuted onto it.

Follows mergekit 0.1.5 (`mergekit/tokenizer/build.py`, `embed.py`):
- the base tokenizer is the base model's (the first model without a base_model), stripped
  of tokens whose id is not below the model's vocab_size;
- `base` keeps it, a model reference takes that model's tokenizer as is, `union` adds every
  other model's tokens the base lacks (ordinary tokens, then added tokens; first wins);
- `tokenizer.tokens` adds tokens and says where their rows come from;
- each model's vocabulary weights are rebuilt row by row for the output vocabulary: its own
  row when it has the token (unless `force`), else a default: the only model having it,
  zeros when none has it, the base's row, or the mean over the models that have it;
- `pad_to_multiple_of` pads with the mean row.
Tokenizers are read with transformers' AutoTokenizer (never with trust_remote_code).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field

from .config import MergeConfig
from .errors import ConfigError, ModelError
from .language import BASE, is_tokenizer_keyword
from .references import ModelReference, ModelReferenceError, reference_from_value


@dataclass
class TokenSource:
    kind: str  # "model" | "model_token" | "zero" | "none"
    model: ModelReference | None = None
    token_id: int | None = None
    token: str | None = None
    force: bool = False


def _token_configs(cfg: MergeConfig) -> dict[str, TokenSource]:
    out: dict[str, TokenSource] = {}
    tokens = (cfg.tokenizer or {}).get("tokens") or {}
    for tok, spec in tokens.items():
        spec = spec or {}
        force = bool(spec.get("force", False))
        src = spec.get("source")
        if src is None:
            out[tok] = TokenSource("none", force=force)
        elif isinstance(src, dict) and src.get("kind") == "zero":
            out[tok] = TokenSource("zero", force=force)
        elif isinstance(src, dict) and src.get("kind") == "model_token" and \
                (src.get("token_id") is None) != (src.get("token") is None):
            out[tok] = TokenSource("model_token", _ref(src.get("model")), src.get("token_id"), src.get("token"),
                                   force)
        else:
            # mergekit falls back to "the same token in that model" for a model_token entry with
            # neither or both of token/token_id (the union's ModelReference branch)
            model = src.get("model") if isinstance(src, dict) and "kind" in src else src
            out[tok] = TokenSource("model", _ref(model), force=force)
    return out


def _ref(value) -> ModelReference:
    try:
        return reference_from_value(value)
    except ModelReferenceError as e:
        raise ConfigError(f"tokenizer.tokens: {e.message}") from None


def _load_tokenizer(folder: str, label: str):
    try:
        import transformers
    except ImportError:
        raise ConfigError("tokenizer_source needs transformers (pip install 'mergelint[merge]')") from None
    try:
        return transformers.AutoTokenizer.from_pretrained(folder, trust_remote_code=False, use_fast=True)
    except Exception as e:  # noqa: BLE001
        raise ModelError(f"cannot load the tokenizer of {label} from {folder}: {e}") from None


def _stripped(tokenizer, vocab_size: int | None, label: str):
    """The tokenizer without tokens whose id is >= the model's vocab_size."""
    if vocab_size is None:
        return tokenizer
    unused = [t for t, i in tokenizer.get_vocab().items() if i >= vocab_size]
    if not unused:
        return tokenizer
    if not tokenizer.is_fast:
        raise ModelError(f"Model {label} has unused tokens and does not support fast tokenizer - "
                         "can not be used in tokenizer merge")
    import tokenizers

    data = json.loads(tokenizer._tokenizer.to_str())
    if data["model"]["type"] != "BPE":
        raise ModelError(f"Tokenizer for {label} has type {data['model']['type']}, "
                         "but only BPE is currently supported for tokenizer merge")
    data["added_tokens"] = [e for e in data["added_tokens"] if e["id"] < vocab_size]
    dropped = set(unused)
    for tok in unused:
        data["model"]["vocab"].pop(tok, None)

    def keep(m):
        toks = m.split(" ") if isinstance(m, str) else m
        return not any(t in dropped for t in toks)

    data["model"]["merges"] = [m for m in data["model"]["merges"] if keep(m)]
    tokenizer._tokenizer = tokenizers.Tokenizer.from_str(json.dumps(data))
    return tokenizer


@dataclass
class Vocabulary:
    tokenizer: object
    vocab: dict[str, int]  # output token -> id
    out_size: int  # rows of the output vocabulary weights (padded)
    permutations: dict[ModelReference, dict[int, int]]  # output id -> model row (-1: absent)
    original: dict[ModelReference, dict[str, int]]
    configs: dict[str, TokenSource]
    notes: list[str] = field(default_factory=list)

    def save(self, folder: str) -> None:
        self.tokenizer.save_pretrained(folder)

    # -- the rows ---------------------------------------------------------------------------

    def apply(self, task, tensors):
        """Each input's vocabulary weight rebuilt for the output vocabulary (mergekit's
        PermutedVocabulary), in the promoted dtype."""
        import torch

        models = [inp.model.ref for inp in task.inputs]
        views = [t.movedim(task.vocab_axis or 0, 0) for t in tensors]
        dtype = views[0].dtype
        for v in views[1:]:
            dtype = torch.promote_types(dtype, v.dtype)
        device = views[0].device
        token_shape = views[0].shape[1:]
        configs = dict(self.configs)
        average = self._assign(models, configs, task.base_ref)
        rows = dict(zip(models, views))
        defaults = {}
        for token, tid in self.vocab.items():
            cfg = configs.get(token)
            if not (cfg and cfg.force) and all(self.permutations[m][tid] >= 0 for m in models):
                continue
            if token in average:
                embed = torch.zeros(token_shape, dtype=dtype, device=device)
                count = 0
                for m in models:
                    p = self.permutations[m][tid]
                    if p >= 0:
                        embed = embed + rows[m][p]
                        count += 1
                embed /= count
            elif cfg is not None:
                embed = self._default(rows, token, tid, cfg, token_shape, dtype, device)
                if embed is None:
                    continue
            else:
                continue
            defaults[token] = embed
        out = []
        n = len(self.vocab)
        for m in models:
            p = self.permutations[m]
            old = rows[m]
            new = torch.zeros((self.out_size, *token_shape), dtype=dtype, device=device)
            for token, tid in self.vocab.items():
                force = token in configs and configs[token].force
                if p[tid] >= 0 and not force:
                    new[tid] = old[p[tid]]
                elif token in defaults:
                    new[tid] = defaults[token]
            if self.out_size > n:
                new[n:] = torch.mean(new[:n], dim=0)
            out.append(new.movedim(0, task.vocab_axis or 0))
        return out

    def _assign(self, models, configs, base_ref):
        average = set()
        for token, tid in self.vocab.items():
            if token in configs:
                continue
            has = [self.permutations[m][tid] >= 0 for m in models]
            present = sum(has)
            if present == 1:
                configs[token] = TokenSource("model", models[has.index(True)])
            elif present == 0:
                configs[token] = TokenSource("zero")
            elif base_ref in models and self.permutations[base_ref][tid] >= 0:
                configs[token] = TokenSource("model", base_ref)
            else:
                average.add(token)
        return average

    def _default(self, rows, token, tid, cfg: TokenSource, shape, dtype, device):
        import torch

        if cfg.kind == "zero":
            return torch.zeros(shape, dtype=next(iter(rows.values())).dtype, device=device)
        if cfg.kind == "none":
            raise ConfigError(f"token {token!r}: a tokenizer.tokens entry with no source")
        model = cfg.model
        if model not in rows:
            raise ModelError(f"Token {token!r} requires a vocabulary weight from model {model}, "
                             "but that weight is missing")
        if cfg.kind == "model_token":
            src = cfg.token_id
            if src is None:
                if cfg.token not in self.original.get(model, {}):
                    raise ModelError(f"Token {cfg.token!r} not found in model {model}")
                src = self.original[model][cfg.token]
            if not 0 <= src < rows[model].shape[0]:
                raise ModelError(f"Token ID {src} out of range for model {model}")
            return rows[model][src]
        p = self.permutations[model][tid]
        if p < 0:
            raise ModelError(f"Token {token!r} not found in model {model}")
        return rows[model][p]


def build_vocabulary(cfg: MergeConfig, models: dict, source, options) -> Vocabulary:
    refs = cfg.referenced_models()
    base_ref = cfg.base or refs[0]
    if not is_tokenizer_keyword(source):
        source = source if isinstance(source, ModelReference) else _ref(source)
    vocab_sizes = {ref: models[ref].layout.vocab_size for ref in refs}
    base_tok = _stripped(_load_tokenizer(models[base_ref].folder, str(base_ref)), vocab_sizes[base_ref],
                         str(base_ref))
    toks = {base_ref: base_tok}
    notes = []
    for ref in refs:
        if ref == base_ref:
            continue
        try:
            toks[ref] = _load_tokenizer(models[ref].folder, str(ref))
        except ModelError as e:
            notes.append(f"Unable to load tokenizer for {ref}. Assuming same as {base_ref}. ({e})")
    if isinstance(source, ModelReference):
        if source in models:
            folder = models[source].folder
        else:
            from .checkpoint import locate

            folder = locate(source.model, "tokenizer_source", online=options.online)
        out_tok = _load_tokenizer(folder, str(source))
    elif source == BASE:
        out_tok = base_tok
    else:
        out_tok = _union(base_tok, toks, vocab_sizes, notes)
    configs = _token_configs(cfg)
    # the models' own vocabularies, taken before tokens are added to the output tokenizer (which
    # can be the base's own object; mergekit 0.1.5 then crashes with a KeyError)
    originals = {r: t.get_vocab() for r, t in toks.items()}
    existing = set(out_tok.get_vocab())
    for tok in configs:
        if tok not in existing:
            out_tok.add_tokens(tok)
            existing.add(tok)
    vocab = out_tok.get_vocab()
    permutations = {}
    for ref in refs:
        model_vocab = originals.get(ref) or originals[base_ref]
        size = vocab_sizes[ref] if vocab_sizes[ref] is not None else len(model_vocab)
        p = {}
        for tok, new in vocab.items():
            old = model_vocab.get(tok)
            if old is None:
                p[new] = -1
            elif old >= size:
                notes.append(f"{ref} token {tok!r} has index {old}>{size - 1} (padding?)")
                p[new] = -1
            else:
                p[new] = old
        permutations[ref] = p
    size = len(vocab)
    pad = (cfg.tokenizer or {}).get("pad_to_multiple_of")
    if pad and size % pad:
        size = (size // pad + 1) * pad
    return Vocabulary(out_tok, vocab, size, permutations, originals, configs, notes)


def _union(base_tok, toks: dict, sizes: dict, notes: list):
    import transformers

    out_vocab: dict[str, int] = {}
    added: dict = {}
    warned = set()
    for ref, tok in toks.items():
        size = sizes.get(ref) or tok.vocab_size
        decoder = tok.added_tokens_decoder
        added_names = {info.content for info in decoder.values()}
        for t, i in tok.get_vocab().items():
            if i >= size:
                continue
            if t in added_names:
                continue
            out_vocab.setdefault(t, len(out_vocab))
        for i, info in decoder.items():
            if i >= size:
                continue
            if info.content in added:
                if added[info.content] != info and info.content not in warned:
                    notes.append(f"Token {info.content!r} added with multiple different settings, using first")
                    warned.add(info.content)
                continue
            added[info.content] = info
    with tempfile.TemporaryDirectory() as tmp:
        base_tok.save_pretrained(tmp)
        res = transformers.AutoTokenizer.from_pretrained(tmp, use_fast=True, trust_remote_code=False)
    base_vocab = base_tok.get_vocab()
    for t in out_vocab:
        if t not in added and t not in base_vocab:
            res.add_tokens(t)
    for info in added.values():
        res.add_tokens(info)
    return res
