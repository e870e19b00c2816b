"""A model folder's tokenizer, read as JSON (no tokenizer library, no code): its size with the
added tokens, the added tokens themselves, the special tokens and the chat template.

Used by `check`'s compatibility rules and by `verify`; every file goes through the checked,
cached JSON reader, and an unreadable one is simply not used (its problem is in `problems`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..language import TOKENIZER_CONFIG, TOKENIZER_JSON
from .files import FileProblem, read_json, stat_regular

SPECIAL_TOKENS_MAP = "special_tokens_map.json"
# (special_tokens_map.json last: transformers takes a special token from it only where tokenizer_config.json has none)
FILES = (TOKENIZER_JSON, TOKENIZER_CONFIG, "added_tokens.json", "vocab.json", SPECIAL_TOKENS_MAP)
SPECIAL = ("bos_token", "eos_token", "pad_token")
MAX_TEMPLATE = 1024 * 1024


@dataclass
class TokenizerFacts:
    size: int | None = None  # highest token id + 1, added tokens included
    size_file: str | None = None  # the file that sets it
    added: dict[str, int] = field(default_factory=dict)  # added token -> id
    special: dict[str, str] = field(default_factory=dict)  # bos_token/eos_token/pad_token -> its text
    chat_template: str | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.size is not None or bool(self.added) or self.chat_template is not None


def _ids(data: dict, name: str):
    if name == TOKENIZER_JSON:
        model = data.get("model")
        vocab = model.get("vocab") if isinstance(model, dict) else None
        if isinstance(vocab, dict):
            yield from (v for v in vocab.values() if isinstance(v, int))
        elif isinstance(vocab, list) and vocab:
            yield len(vocab) - 1
    elif name == "vocab.json":
        yield from (v for v in data.values() if isinstance(v, int))


def _added(data: dict, name: str):
    if name == TOKENIZER_JSON:
        for token in data.get("added_tokens") or ():
            if isinstance(token, dict) and isinstance(token.get("id"), int) and isinstance(token.get("content"), str):
                yield token["content"], token["id"]
    elif name == TOKENIZER_CONFIG:
        decoder = data.get("added_tokens_decoder")
        for key, token in (decoder.items() if isinstance(decoder, dict) else ()):
            if str(key).isdigit() and isinstance(token, dict) and isinstance(token.get("content"), str):
                yield token["content"], int(key)
    elif name == "added_tokens.json":
        yield from ((k, v) for k, v in data.items() if isinstance(v, int))


def _text(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


def read_tokenizer(directory: str) -> TokenizerFacts:
    facts = TokenizerFacts()
    top = None
    for name in FILES:
        path = os.path.join(directory, name)
        if not os.path.lexists(path):
            continue
        try:
            data = read_json(path)
        except FileProblem as e:
            facts.problems.append((name, e.message))
            continue
        added = dict(_added(data, name))
        facts.added.update(added)
        best = max([*_ids(data, name), *added.values()], default=None)
        if best is not None and (top is None or best > top):
            top, facts.size_file = best, name
        if name in (TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP):
            for key in SPECIAL:
                if _text(data.get(key)) is not None:
                    facts.special.setdefault(key, _text(data.get(key)))
            template = data.get("chat_template")
            if isinstance(template, (str, list)) and template:
                facts.chat_template = template if isinstance(template, str) else repr(template)
    facts.size = None if top is None else top + 1
    jinja = os.path.join(directory, "chat_template.jinja")
    if os.path.lexists(jinja):
        try:
            if stat_regular(jinja).st_size <= MAX_TEMPLATE:
                with open(jinja, encoding="utf-8", errors="replace") as fh:
                    facts.chat_template = fh.read()
        except (FileProblem, OSError) as e:
            facts.problems.append(("chat_template.jinja", getattr(e, "message", str(e))))
    return facts
