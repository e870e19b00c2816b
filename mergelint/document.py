"""YAML text -> a tree of nodes with source ranges, read exactly as mergekit reads it.

mergekit loads configs with PyYAML's `safe_load` (YAML 1.1: `yes` is true, `1e-5`
is a string, `<<` merges work). We compose with PyYAML's C loader, which gives
nodes with positions and is fast enough to re-parse on every keystroke, and
construct each scalar with the same SafeConstructor, so values match mergekit's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml: same semantics, slower
    _Loader = yaml.SafeLoader

MAX_DEPTH = 100
# Anchors and aliases can describe a tree exponentially larger than the text
# ("billion laughs"); past this many nodes the document is refused.
MAX_EXPANDED_NODES = 200_000


@dataclass(frozen=True, order=True)
class Position:
    line: int  # 0-based
    column: int  # 0-based, in Unicode code points


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position

    @staticmethod
    def of(line: int, column: int, end_line: int, end_column: int) -> "Range":
        return Range(Position(line, column), Position(end_line, end_column))


@dataclass(eq=False)
class Node:
    """A YAML node. `value` is what safe_load would give for it."""

    kind: str  # "map" | "seq" | "scalar"
    range: Range
    value: object = None
    items: list["Node"] = field(default_factory=list)  # seq
    pairs: list[tuple["Node", "Node"]] = field(default_factory=list)  # map, merge keys applied
    style: str | None = None  # scalar quoting style; "[" / "{" for flow collections
    tag: str = ""
    size: int = 1  # nodes in the subtree, aliases expanded

    def get(self, key: str) -> "Node | None":
        """The value node of `key` (the last one, as safe_load keeps the last duplicate)."""
        found = None
        for k, v in self.pairs:
            if k.value == key:
                found = v
        return found

    def key_node(self, key: str) -> "Node | None":
        found = None
        for k, _ in self.pairs:
            if k.value == key:
                found = k
        return found

    @property
    def is_map(self) -> bool:
        return self.kind == "map"

    @property
    def is_seq(self) -> bool:
        return self.kind == "seq"

    @property
    def is_scalar(self) -> bool:
        return self.kind == "scalar"

    @property
    def flow(self) -> bool:
        return self.style in ("[", "{")

    def walk(self) -> Iterator["Node"]:
        stack: list[Node] = [self]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            stack.extend(reversed(node.items))
            for k, v in reversed(node.pairs):
                stack.extend((v, k))


@dataclass
class YamlProblem:
    message: str
    range: Range


@dataclass
class YamlDocument:
    """One document of a YAML stream; `root` is None when it could not be read."""

    index: int
    root: Node | None
    problem: YamlProblem | None = None
    start_line: int = 0


class Source:
    """The text of one file and its line table."""

    def __init__(self, text: str, path: str = "<stdin>"):
        self.text = text
        self.path = path
        self.lines = text.splitlines()
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)

    def offset(self, pos: Position) -> int:
        if pos.line >= len(self._line_starts):
            return len(self.text)
        return min(self._line_starts[pos.line] + pos.column, len(self.text))

    def position(self, offset: int) -> Position:
        import bisect

        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(line, offset - self._line_starts[line])

    def line_text(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    @property
    def end(self) -> Position:
        return self.position(len(self.text))


def _mark_range(start, end) -> Range:
    return Range.of(start.line, start.column, end.line, end.column)


class _TooLarge(Exception):
    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message = message
        self.mark = mark


_BUILDING = object()
_PLAIN_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


class _Builder:
    """Turns composed PyYAML nodes into `Node`s, constructing values with safe_load's rules."""

    def __init__(self, loader):
        self.loader = loader
        self.memo: dict[int, Node] = {}

    def build(self, ynode, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise _TooLarge(f"nesting deeper than {MAX_DEPTH} levels", ynode.start_mark)
        # An alias is the same composed node object: build it once and share it.
        cached = self.memo.get(id(ynode))
        if cached is not None:
            if cached.value is _BUILDING:
                raise _TooLarge("an alias refers to a node that contains it (a recursive alias)", ynode.start_mark)
            return cached
        rng = _mark_range(ynode.start_mark, ynode.end_mark)
        if isinstance(ynode, yaml.ScalarNode):
            node = Node("scalar", rng, self.loader.construct_object(ynode), style=ynode.style, tag=ynode.tag)
            self.memo[id(ynode)] = node
            return node
        is_seq = isinstance(ynode, yaml.SequenceNode)
        node = Node("seq" if is_seq else "map", rng, _BUILDING, tag=ynode.tag)
        if ynode.flow_style:
            node.style = "[" if is_seq else "{"
        self.memo[id(ynode)] = node
        if is_seq:
            node.items = [self.build(child, depth + 1) for child in ynode.value]
            value: object = [child.value for child in node.items]
        else:
            self.loader.flatten_mapping(ynode)  # applies `<<` merge keys, as safe_load does
            mapping: dict = {}
            for yk, yv in ynode.value:
                k, v = self.build(yk, depth + 1), self.build(yv, depth + 1)
                node.pairs.append((k, v))
                try:
                    mapping[k.value] = v.value
                except TypeError:
                    raise _TooLarge("a mapping key must be a plain value, not a list or mapping", yk.start_mark) from None
            value = mapping
        # Everything downstream walks the tree with aliases expanded: bound that size.
        node.size = 1 + sum(c.size for c in node.items) + sum(k.size + v.size for k, v in node.pairs)
        if node.size > MAX_EXPANDED_NODES:
            raise _TooLarge(
                f"the document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases", ynode.start_mark
            )
        if ynode.tag not in _PLAIN_TAGS:
            # !!set, !!omap and other tags: safe_load's constructor decides (or refuses).
            value = self.loader.construct_object(ynode, deep=True)
        node.value = value
        return node


def _problem(error: Exception, source: Source) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        return YamlProblem(str(error), Range(source.end, source.end))
    line, col = mark.line, mark.column
    # Point at the token: to the end of the word at the mark, at least one character.
    text = source.line_text(line)
    end = col
    while end < len(text) and not text[end].isspace():
        end += 1
    if end == col:
        end = col + 1 if col < len(text) else col
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"{context}: {problem}" if context else problem
    return YamlProblem(message, Range.of(line, col, line, end))


def parse(source: Source) -> list[YamlDocument]:
    """Every document of the stream. A syntax error ends the stream at that document."""
    documents: list[YamlDocument] = []
    loader = _Loader(source.text)
    try:
        while True:
            start_line = 0
            try:
                if not loader.check_node():
                    break
                ynode = loader.get_node()
                start_line = ynode.start_mark.line
                root = _Builder(loader).build(ynode)
                documents.append(YamlDocument(len(documents), root, start_line=start_line))
            except _TooLarge as e:
                rng = Range.of(e.mark.line, e.mark.column, e.mark.line, e.mark.column + 1)
                documents.append(YamlDocument(len(documents), None, YamlProblem(e.message, rng), start_line))
                break
            except yaml.YAMLError as e:
                documents.append(YamlDocument(len(documents), None, _problem(e, source), start_line))
                break
            except RecursionError:
                rng = Range(Position(start_line, 0), Position(start_line, 0))
                documents.append(YamlDocument(len(documents), None, YamlProblem("nesting too deep", rng), start_line))
                break
    finally:
        loader.dispose()
    return documents
