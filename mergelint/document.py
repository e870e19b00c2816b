"""YAML text -> a tree of nodes with source ranges, read exactly as mergekit reads it.

mergekit loads configs with PyYAML's `safe_load` (YAML 1.1: `yes` is true, `1e-5`
is a string, `<<` merges work). We compose with PyYAML's C loader, which gives
nodes with positions and is fast enough to re-parse on every keystroke, and
construct each scalar with the same SafeConstructor, so values match mergekit's.
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple

import yaml

# mergekit reads configs with PyYAML's pure-Python safe_load. libyaml reads the same YAML ten
# times faster and alike, except for a few rare constructs (found by differential fuzzing):
# a tab where a token may start, `?` or `!` in plain text, `0:,` in a flow collection, a BOM
# inside the text, `|#`. A text with one of them is read by the pure-Python loader itself.
_MAY_DIFFER = re.compile(r"\t|\ufeff|:[,\]}]|[|>]#|^[^#\n]*[?!]", re.MULTILINE)

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml: same semantics, slower
    _Loader = yaml.SafeLoader

MAX_DEPTH = 100
# Anchors and aliases can describe a tree exponentially larger than the text
# ("billion laughs"); past this many nodes the document is refused.
MAX_EXPANDED_NODES = 200_000


class Position(NamedTuple):
    line: int  # 0-based
    column: int  # 0-based, in Unicode code points


class Range(NamedTuple):
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
            if node.items:
                stack.extend(reversed(node.items))
            for k, v in reversed(node.pairs):
                stack.append(v)
                stack.append(k)


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


_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class Source:
    """The text of one file and its line table."""

    def __init__(self, text: str, path: str = "<stdin>"):
        self.text = text
        self.path = path
        # Lines as the YAML parser counts them (its marks are positions in these lines):
        # \r\n, \r, \n, NEL, LS and PS end a line; str.splitlines() also splits on
        # \v, \f and others, and would shift every position after one.
        self.lines = _LINE_BREAK.split(text)
        self._line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]
        first = _LINE_BREAK.search(text)
        self.newline = first.group() if first else "\n"  # what inserted lines should end with

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
    return Range(Position(start.line, start.column), Position(end.line, end.column))


class _Unreadable(Exception):
    def __init__(self, message: str, mark, end_mark=None):
        super().__init__(message)
        self.message = message
        self.range = _mark_range(mark, end_mark) if end_mark is not None else Range.of(
            mark.line, mark.column, mark.line, mark.column + 1
        )


_BUILDING = object()
# safe_load's constructors for the plain scalar tags, called directly: what
# construct_object would call for them, without its per-node bookkeeping.
_SCALAR_CONSTRUCTORS = {
    f"tag:yaml.org,2002:{name}": _Loader.yaml_constructors[f"tag:yaml.org,2002:{name}"]
    for name in ("str", "int", "float", "bool", "null")
}
_PLAIN_TAGS = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")


class _Builder:
    """Turns composed PyYAML nodes into `Node`s, constructing values with safe_load's rules."""

    def __init__(self, loader):
        self.loader = loader
        self.memo: dict[int, Node] = {}

    def build(self, ynode, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise _Unreadable(f"nesting deeper than {MAX_DEPTH} levels", ynode.start_mark)
        # An alias is the same composed node object: build it once and share it.
        cached = self.memo.get(id(ynode))
        if cached is not None:
            if cached.value is _BUILDING:
                raise _Unreadable("an alias refers to a node that contains it (a recursive alias)", ynode.start_mark)
            return cached
        rng = _mark_range(ynode.start_mark, ynode.end_mark)
        if isinstance(ynode, yaml.ScalarNode):
            construct = _SCALAR_CONSTRUCTORS.get(ynode.tag)
            try:
                value = construct(self.loader, ynode) if construct is not None else self.loader.construct_object(ynode)
            except (ValueError, KeyError, TypeError, OverflowError):
                # e.g. `!!int nope`: safe_load itself fails here, with no position.
                tag = ynode.tag.rsplit(":", 1)[-1]
                raise _Unreadable(f"{ynode.value!r} cannot be read as !!{tag}", ynode.start_mark, ynode.end_mark) from None
            # The C loader gives plain scalars style "", the Python loader None: keep None.
            node = Node("scalar", rng, value, style=ynode.style or None, tag=ynode.tag)
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
                    raise _Unreadable("a mapping key must be a plain value, not a list or mapping", yk.start_mark) from None
            value = mapping
        # Everything downstream walks the tree with aliases expanded: bound that size.
        node.size = 1 + sum(c.size for c in node.items) + sum(k.size + v.size for k, v in node.pairs)
        if node.size > MAX_EXPANDED_NODES:
            raise _Unreadable(
                f"the document expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases", ynode.start_mark
            )
        if ynode.tag not in _PLAIN_TAGS:
            # !!set, !!omap and other tags: safe_load's constructor decides (or refuses).
            value = self.loader.construct_object(ynode, deep=True)
        node.value = value
        return node


def _problem(error: Exception, source: Source, loader_class=_Loader) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None and isinstance(getattr(error, "position", None), int):
        # A ReaderError (a control character): it knows only the character's offset.
        offset = error.position
        if loader_class is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text
            offset = len(source.text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore"))
        char = source.text[offset : offset + 1]
        what = f"character U+{ord(char):04X}" if char else "a character"
        return YamlProblem(f"{what} is not allowed in YAML, not even in a comment ({error.reason})",
                           Range(source.position(offset), source.position(offset + 1)))
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
    if text[col : col + 1] == "\t":
        message = ("a tab here: mergekit's YAML loader (PyYAML's safe_load) allows tabs only inside quotes, "
                   "block scalars and comments; use spaces")
    return YamlProblem(message, Range.of(line, col, line, end))


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (nests; restores its state on exit).

    Checking a large config allocates tens of thousands of small objects and hardly
    any garbage; the collector would rescan that growing heap again and again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(source: Source) -> list[YamlDocument]:
    """Every document of the stream. A syntax error ends the stream at that document."""
    documents, guarded = _read(source, _Loader)
    # Re-read with mergekit's own loader where libyaml may read differently, unless libyaml hit
    # a guard (depth, aliases): PyYAML's scanner is quadratic in flow depth, and would only
    # take long to refuse the same text.
    if _Loader is not yaml.SafeLoader and not guarded and _MAY_DIFFER.search(source.text):
        documents, _ = _read(source, yaml.SafeLoader)
    if not source.text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029")):
        _clamp_to_end(documents, source.end)
    return documents


def _read(source: Source, loader_class) -> tuple[list[YamlDocument], bool]:
    """The documents as `loader_class` reads them, and whether a resource guard stopped it."""
    documents: list[YamlDocument] = []
    guarded = False
    try:
        loader = loader_class(source.text)
    except yaml.YAMLError as e:  # the pure-Python reader checks every character up front
        return [YamlDocument(0, None, _problem(e, source, loader_class))], False
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
            except _Unreadable as e:
                documents.append(YamlDocument(len(documents), None, YamlProblem(e.message, e.range), start_line))
                guarded = True
                break
            except yaml.YAMLError as e:
                documents.append(YamlDocument(len(documents), None, _problem(e, source, loader_class), start_line))
                guarded = "maximum nesting depth" in str(e)  # libyaml's own depth guard
                break
            except RecursionError:
                rng = Range(Position(start_line, 0), Position(start_line, 0))
                documents.append(YamlDocument(len(documents), None, YamlProblem("nesting too deep", rng), start_line))
                guarded = True
                break
    finally:
        loader.dispose()
    return documents, guarded


def _clamp_to_end(documents: list[YamlDocument], end: Position) -> None:
    """libyaml ends a stream that lacks a final line break on a line after the text: pull such
    positions back to the end of the text. Only nodes that end there (the last ones) move."""
    def clamp(rng: Range) -> Range:
        return Range(min(rng.start, end), min(rng.end, end))

    for document in documents:
        if document.problem is not None:
            document.problem.range = clamp(document.problem.range)
        stack = [document.root] if document.root is not None else []
        while stack:
            node = stack.pop()
            if node.range.end <= end:
                continue  # and so do its children
            node.range = clamp(node.range)
            stack.extend(node.items)
            stack.extend(n for pair in node.pairs for n in pair)

