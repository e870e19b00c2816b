"""A sampled config as text: the base config round-tripped by ruamel.yaml with only the searched values
changed, so its comments, key order, quoting and indentation stay as the user wrote them."""

from __future__ import annotations

import functools
import io

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.util import load_yaml_guess_indent

from . import paths


def yaml_rt(indent: tuple[int, int, int] | None = None) -> YAML:
    """A round-trip YAML, writing mappings, sequences and dashes indented as `indent` says."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the user wrote on one
    if indent is not None:
        yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


@functools.lru_cache(maxsize=8)
def indentation(text: str) -> tuple[int, int, int]:
    """The indentation that writes `text` back unchanged (ruamel keeps no indentation of its own):
    the first candidate whose round trip is exact, else ruamel's guess."""
    _, indent, dash = load_yaml_guess_indent(text)
    guess = (indent or 2, (indent or 2) + (dash or 0), dash or 0)
    candidates = [guess] + [(m, s, o) for m in (2, 4, 3) for o in range(m + 1) for s in sorted({o + 2, o + m})]
    doc = load(text)
    for candidate in candidates:
        out = io.StringIO()
        yaml_rt(candidate).dump(doc, out)
        if out.getvalue() == text:
            return candidate
    return guess


def load(text: str):
    return yaml_rt().load(text)


def dump(doc, like: str) -> str:
    out = io.StringIO()
    yaml_rt(indentation(like)).dump(doc, out)
    return out.getvalue()


def sampled(base_text: str, searches, params: dict) -> str:
    """The base config with each search path set to its sampled value (a gradient: a flow list)."""
    doc = load(base_text)
    for s in searches:
        container, key = paths.resolve(doc, s.steps)
        if s.gradient:
            value = CommentedSeq([params[s.name(i)] for i in range(len(s.domains))])
            value.fa.set_flow_style()
        else:
            value = params[s.name()]
        container[key] = value
    return dump(doc, base_text)
