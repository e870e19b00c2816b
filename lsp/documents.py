"""Open documents: what the server knows about each, and its parsed tree on demand."""

from __future__ import annotations

import asyncio
import functools
import os
import re
from dataclasses import dataclass, field

from merge_core.language import CONFIG_SUFFIXES, HEAD, TOP_LEVEL_KEYS, looks_like_merge_config
from mergelint.document import Node, Source, YamlDocument

from merge_core.tools import Tool
from mergelint import stage_index

from .analysis import BINARY, TOO_LARGE, Analysis, parsed, stream_tool

_TOP_KEY = re.compile(r"^([^\s#:\-'\"{}\[\]][^:#]*?)[ \t]*:(?:[ \t]|$)", re.MULTILINE)


def is_yaml(language_id: str | None, path: str) -> bool:
    lang = (language_id or "").lower()
    return lang.startswith("yaml") or path.lower().endswith(CONFIG_SUFFIXES)


def is_candidate(text: str) -> bool:
    """Whether editor help (completion, hover, symbols) belongs in this document.

    A merge config, or a YAML file with no top-level key foreign to one (a new, empty
    file, or one with only `models:` so far); any other YAML file is left alone.
    """
    if looks_like_merge_config(text):
        return True
    known = set(TOP_LEVEL_KEYS)
    return all(m.group(1).strip() in known for m in _TOP_KEY.finditer(text[:HEAD]))


@dataclass(eq=False)
class DocState:
    uri: str
    path: str  # file system path, or the URI for other schemes
    language_id: str | None
    generation: int = 0  # bumped by every open/change
    analysis: Analysis | None = None
    running: bool = False
    dirty: bool = False
    closed: bool = False
    waiters: list[asyncio.Future] = field(default_factory=list)

    @property
    def directory(self) -> str | None:
        return os.path.dirname(self.path) if os.path.isabs(self.path) else None


class Tree:
    """The YAML documents of one analysed text (parsed once, on first use)."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self.source: Source | None = None
        self.documents: list[YamlDocument] = []
        if analysis.status in (BINARY, TOO_LARGE):
            return
        self.source = analysis.source or Source(analysis.text, "<editor>")
        self.documents = analysis.documents if analysis.documents is not None else parsed(self.source)

    @functools.cached_property
    def tool(self) -> Tool:
        """Which mergekit command the text is for (as its check decided, where it was checked)."""
        if self.analysis.tool is not None:
            return self.analysis.tool
        return stream_tool(self.analysis.text, self.documents, self.analysis.context.settings)

    @functools.cached_property
    def stages(self) -> stage_index.StageIndex:
        """The stages of the stream and every reference to one (a mergekit-multi stream's)."""
        return stage_index.build(self.documents)

    def document_at(self, line: int) -> YamlDocument | None:
        found = None
        for doc in self.documents:
            if doc.root is not None and doc.start_line <= line:
                found = doc
        return found


def tree(analysis: Analysis) -> Tree:
    cached = getattr(analysis, "_tree", None)
    if cached is None:
        cached = Tree(analysis)
        analysis._tree = cached  # type: ignore[attr-defined]
    return cached


def within(node: Node, line: int, column: int) -> bool:
    s, e = node.range.start, node.range.end
    return (s.line, s.column) <= (line, column) <= (e.line, e.column)


def locate(root: Node, line: int, column: int):
    """The key or value under a checker position: (kind, path, key, key node, value node) or None.

    kind is "key", "value" (a scalar value of a key) or "item" (a scalar list item).
    """
    node, path = root, []
    for _ in range(200):
        if node.is_map:
            for k, v in node.pairs:
                if within(k, line, column):
                    return "key", path, k.value, k, v
                if within(v, line, column):
                    if v.is_scalar:
                        return "value", path, k.value, k, v
                    path, node = path + [str(k.value)], v
                    break
            else:
                return None
        elif node.is_seq:
            for item in node.items:
                if within(item, line, column):
                    if item.is_scalar:
                        return "item", path + ["[]"], None, None, item
                    path, node = path + ["[]"], item
                    break
            else:
                return None
        else:
            return None
    return None
