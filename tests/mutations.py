"""Mutations of real merge configs, at the byte, token and YAML-structure level.

Shared by the property test (tests/test_fuzz_mutations.py, which hands in Hypothesis's
shrinkable `random.Random`) and the long run (scripts/fuzz, a seeded one). Every mutation
is a function `(rng, data) -> data` on the file's bytes, as the CLI reads them: the
byte-level ones may leave text that is not UTF-8 at all, which must be refused cleanly.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from checker_support import ROOT, corpus_files, fixture_files


def seed_files() -> list[Path]:
    """The real configs to start from: the shared corpus, the examples and the rule fixtures."""
    return corpus_files() + sorted((ROOT / "examples").glob("*.yml")) + fixture_files()


def seeds() -> list[bytes]:
    found = [p.read_bytes() for p in seed_files()]
    return [s for s in found if s.strip()] or [b"merge_method: linear\nmodels:\n  - model: org/a\n"]


# Values that YAML 1.1 (as mergekit's safe_load reads it) treats specially, or that stress
# the number and string handling of the rules.
ODD_VALUES = [
    "1e999", "-1e999", "99999999999999999999999999999", "-0", "0x1F", "0o17", "017", "1_000", "1:30", "0b101",
    ".nan", ".NaN", ".inf", "-.inf", "~", "null", "Null", "yes", "No", "on", "OFF", "y", "n", "2024-01-01",
    "2001-12-14t21:59:43.10-05:00", "1e-5", "1.0e+3", "''", '""', "[]", "{}", "[[]]", "{a: }", "-", "?", ":",
    "!!int 3", "!!float 1", "!!str 1.0", "!!bool yes", "!!null", "!!binary aGVsbG8=", "!!int x", "!!float .x",
    "!!timestamp 2001-12-14", "!!map {}", "!!seq []", "!!set {a}", "!!omap [{a: 1}]", "!!python/name:os.system",
    "!custom x", "!<tag:yaml.org,2002:str> s", "'a''b'", '"\\u00e9\\x00\\N"', '"\\', "'", "|", ">-", "|+2",
    "\u00e9t\u00e9", "\U0001f600", "\u202e", "\u0301", "\ud7ff", "\u2028", "\x85", "\x0c", "\x7f", "\u3000",
    "\uffff", "\t", "org/a+org/b", "a@b@c", "+", "org/" + "x" * 300, "*a", "&a x", "<<",
]
KEYS = [
    "merge_method", "models", "slices", "sources", "model", "parameters", "weight", "density", "t", "epsilon",
    "lambda", "normalize", "int8_mask", "base_model", "layer_range", "dtype", "out_dtype", "tokenizer_source",
    "tokenizer", "chat_template", "filter", "value", "modules", "name", "<<", "? k", "weight ", "Weight", "",
]
COMMENTS = [
    "# note", "# mergelint: disable=unknown-key", "# mergelint: disable-file=ML102, nope", "# mergelint: tool=moe",
    "# mergelint: disable=", "#\u00e9\U0001f600",
]
_TOKEN = re.compile(r"[A-Za-z0-9_.+\-/@]+|\"[^\"\n]*\"|'[^'\n]*'|[^\sA-Za-z0-9]")
_BLANK = re.compile(r"[ \t]+")


def _text(data: bytes) -> str:
    # Undecodable bytes survive a text-level mutation as lone surrogates, and come back as themselves.
    return data.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _at(rng: random.Random, data) -> int:
    return rng.randint(0, len(data))


def _indent_of(line: bytes) -> bytes:
    return line[: len(line) - len(line.lstrip(b" "))]


# Byte level.


def flip_byte(rng, data):
    at = rng.randrange(len(data)) if data else 0
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]


def insert_bytes(rng, data):
    junk = rng.choice([b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xc3", b"\xe2\x80\xa8", b"\xc2\x85", b"\r", b"\r\n",
                       b"\t", b"\x1b[31m", b"\xed\xa0\x80", bytes([rng.randrange(256)])])
    at = _at(rng, data)
    return data[:at] + junk + data[at:]


def bom(rng, data):
    return b"\xef\xbb\xbf" + data if rng.random() < 0.7 else b"\xef\xbb\xbf\xef\xbb\xbf" + data


def crlf(rng, data):
    newline = rng.choice([b"\r\n", b"\r", b"\xc2\x85", b"\xe2\x80\xa8"])  # CRLF, CR, NEL, LS
    if rng.random() < 0.5:
        return data.replace(b"\n", newline)
    lines = _lines(data)  # mixed line ends: only some lines changed
    return b"".join(line + (newline if rng.random() < 0.5 else b"\n") for line in lines[:-1]) + lines[-1]


def truncate(rng, data):
    return data[: rng.randint(0, len(data))]


# Token level.


def _tokens(text: str) -> list[re.Match]:
    return list(_TOKEN.finditer(text))


def replace_token(rng, data):
    text = _text(data)
    tokens = _tokens(text)
    if not tokens:
        return data
    m = rng.choice(tokens)
    new = rng.choice(ODD_VALUES) if rng.random() < 0.6 else rng.choice(tokens).group()
    return _bytes(text[: m.start()] + new + text[m.end() :])


def delete_token(rng, data):
    text = _text(data)
    tokens = _tokens(text)
    if not tokens:
        return data
    m = rng.choice(tokens)
    return _bytes(text[: m.start()] + text[m.end() :])


def duplicate_token(rng, data):
    text = _text(data)
    tokens = _tokens(text)
    if not tokens:
        return data
    m = rng.choice(tokens)
    return _bytes(text[: m.end()] + rng.choice(["", " ", ", "]) + m.group() + text[m.end() :])


def swap_tokens(rng, data):
    text = _text(data)
    tokens = _tokens(text)
    if len(tokens) < 2:
        return data
    a, b = sorted(rng.sample(tokens, 2), key=re.Match.start)
    return _bytes(text[: a.start()] + b.group() + text[a.end() : b.start()] + a.group() + text[b.end() :])


def quote_token(rng, data):
    text = _text(data)
    tokens = [m for m in _tokens(text) if m.group()[0] not in "\"'"]
    if not tokens:
        return data
    m = rng.choice(tokens)
    q = rng.choice(["'", '"'])
    return _bytes(text[: m.start()] + q + m.group() + q + text[m.end() :])


def tag_value(rng, data):
    text = _text(data)
    values = [m for m in re.finditer(r"(?<=: )\S|(?<=- )\S", text)]
    if not values:
        return data
    at = rng.choice(values).start()
    tag = rng.choice(["!!int ", "!!float ", "!!str ", "!!bool ", "!!null ", "!!map ", "!!seq ", "!!binary ", "!x ", "! "])
    return _bytes(text[:at] + tag + text[at:])


def anchor_alias(rng, data):
    """An anchor on one value and an alias (or a `<<` merge of it) somewhere else."""
    text = _text(data)
    values = [m.start() for m in re.finditer(r"(?<=: )\S|(?<=- )\S|(?<=:)\n", text)]
    if not values:
        return data
    name = rng.choice(["a", "b", "x" * 40, "\u00e9"])
    at = rng.choice(values)
    text = text[:at] + f"&{name} " + text[at:]
    lines = text.split("\n")
    line = rng.randrange(len(lines) + 1)
    indent = _indent_of(_bytes(lines[line - 1])).decode() if line else ""
    use = rng.choice([f"{indent}<<: *{name}", f"{indent}alias: *{name}", f"{indent}- *{name}", f"{indent}model: *{name}", f"*{name}"])
    lines.insert(line, use)
    return _bytes("\n".join(lines))


def unicode(rng, data):
    text = _text(data)
    at = _at(rng, text)
    return _bytes(text[:at] + rng.choice(ODD_VALUES[-22:]) + text[at:])


# YAML-structure level.


def delete_line(rng, data):
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def duplicate_line(rng, data):
    lines = _lines(data)
    line = rng.randrange(len(lines))
    lines.insert(line, lines[line])
    return b"\n".join(lines)


def swap_lines(rng, data):
    lines = _lines(data)
    a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def move_block(rng, data):
    """A run of lines cut out and pasted elsewhere (a list entry or a section moved)."""
    lines = _lines(data)
    start = rng.randrange(len(lines))
    block = lines[start : start + rng.randint(1, 5)]
    del lines[start : start + len(block)]
    at = rng.randint(0, len(lines))
    return b"\n".join(lines[:at] + block + lines[at:])


def indent(rng, data):
    lines = _lines(data)
    line = rng.randrange(len(lines))
    count = rng.randint(1, 5)
    for i in range(line, min(line + count, len(lines))):
        shift = rng.choice([-4, -2, -1, 1, 2, 4])
        lines[i] = b" " * shift + lines[i] if shift > 0 else lines[i][min(-shift, len(_indent_of(lines[i]))) :]
    return b"\n".join(lines)


def insert_pair(rng, data):
    """A `key: value` line at the indentation of a neighbouring line (or a flow pair)."""
    lines = _lines(data)
    line = rng.randint(0, len(lines))
    near = _indent_of(lines[line - 1] if line else b"").decode()
    key, value = rng.choice(KEYS), rng.choice(ODD_VALUES + KEYS)
    form = rng.choice([f"{near}{key}: {value}", f"{near}- {key}: {value}", f"{near}  {key}: {value}", f"{near}{key}:",
                       f"{near}{key}: {{{key}: {value}}}", f"{near}{key}: [{value}, {value}]", f"{near}? {key}\n{near}: {value}",
                       f"{near}{key}: |\n{near}  {value}"])
    lines.insert(line, _bytes(form))
    return b"\n".join(lines)


def document_marker(rng, data):
    lines = _lines(data)
    marker = rng.choice([b"---", b"...", b"--- |", b"%YAML 1.1\n---", b"%YAML 1.2\n---", b"%TAG ! tag:x,2000:\n---", b"--- !!map"])
    lines.insert(rng.randint(0, len(lines)), marker)
    return b"\n".join(lines)


def comment(rng, data):
    lines = _lines(data)
    line = rng.randrange(len(lines))
    text = _bytes(rng.choice(COMMENTS))
    lines[line] = lines[line] + b"  " + text if rng.random() < 0.5 else _indent_of(lines[line]) + text + b"\n" + lines[line]
    return b"\n".join(lines)


def whitespace(rng, data):
    """Spacing changed inside a line: `a:b`, tabs, trailing blanks."""
    text = _text(data)
    spots = list(_BLANK.finditer(text))
    if not spots:
        return data
    m = rng.choice(spots)
    return _bytes(text[: m.start()] + rng.choice(["", "\t", "  ", " \t ", "   "]) + text[m.end() :])


def _names(*functions) -> dict:
    return {f.__name__.replace("_", "-"): f for f in functions}


LEVELS = {
    "byte": _names(flip_byte, insert_bytes, bom, crlf, truncate),
    "token": _names(replace_token, delete_token, duplicate_token, swap_tokens, quote_token, tag_value, anchor_alias, unicode),
    "structure": _names(
        delete_line, duplicate_line, swap_lines, move_block, indent, insert_pair, document_marker, comment, whitespace
    ),
}
MUTATIONS = {name: f for level in LEVELS.values() for name, f in level.items()}
# Most byte-level results are refused before any check (not UTF-8, NUL): drawn less often.
_WEIGHT = {name: 1 if name in LEVELS["byte"] else 3 for name in MUTATIONS}


def mutate(rng: random.Random, data: bytes, count: int, kinds: list[str] | None = None) -> tuple[bytes, list[str]]:
    """`count` mutations drawn from `kinds` (default: all) applied in turn; returns the result and the kinds used."""
    kinds = kinds or list(MUTATIONS)
    used = rng.choices(kinds, [_WEIGHT[k] for k in kinds], k=count)
    for kind in used:
        data = MUTATIONS[kind](rng, data)
    return data, used
