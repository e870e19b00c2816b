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
from array import array
from dataclasses import dataclass, field
from itertools import accumulate, islice
from typing import Iterator, NamedTuple

import yaml

# mergekit reads configs with PyYAML's pure-Python safe_load. libyaml reads the same YAML ten
# times faster and alike, except for a few rare constructs (found by differential fuzzing):
# a tab where a token may start, `?` or `!` in plain text, `0:,` in a flow collection, a BOM
# inside the text, `|#`. A text with one of them is read by the pure-Python loader itself.
_MAY_DIFFER = re.compile(r"\t|\ufeff|:[,\]}]|[|>]#|^[^#\n]*[?!]", re.MULTILINE)

# _MAY_DIFFER's alternatives but the last, as plain substrings (found much faster than by the regex)
_MAY_DIFFER_PLAIN = ("\t", "\ufeff", ":,", ":]", ":}", "|#", ">#")


def _may_differ(text: str) -> bool:
    """Whether _MAY_DIFFER matches somewhere in `text`."""
    if "?" in text or "!" in text:
        return _MAY_DIFFER.search(text) is not None
    return any(plain in text for plain in _MAY_DIFFER_PLAIN)


try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml: same semantics, slower
    _Loader = yaml.SafeLoader


class _CLoader(_Loader):
    """The C loader, with the Python calls it makes for every node made cheaper.

    Used only while no path resolvers are registered (mergelint registers none): then a tag
    depends on nothing but (kind, value, implicit), so each distinct one is resolved once
    per text, and descending and ascending the resolver's path does nothing, as in
    BaseResolver itself.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._tags: dict = {}

    def resolve(self, kind, value, implicit):
        key = (kind, value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = self._tags[key] = _Loader.resolve(self, kind, value, implicit)
        return tag

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


MAX_DEPTH = 100
# Nodes of one file, aliases expanded, past which it is refused. Anchors and aliases can
# describe a tree exponentially larger than the text ("billion laughs"), and every node costs
# about 1 KB while checked (PyYAML's composed node and ours): the limit bounds a check's time and
# memory. The largest real configs have a few thousand nodes.
MAX_EXPANDED_NODES = 200_000
_LIMIT_WHY = "mergelint's limit, which keeps the time and memory of a check bounded"


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

    def collections(self) -> Iterator["Node"]:
        """The mappings and lists of walk(), in its order: scalars, which have no children, are
        never put on the stack (most nodes of a large config are scalars)."""
        stack: list[Node] = [self]
        seen: set[int] = set()
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            if node.kind == "scalar" or id(node) in seen:
                continue
            seen.add(id(node))
            yield node
            for item in reversed(node.items):
                if item.kind != "scalar":
                    push(item)
            for k, v in reversed(node.pairs):
                if v.kind != "scalar":
                    push(v)
                if k.kind != "scalar":
                    push(k)


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
        # The line starts are a machine-integer array: as a list of ints, 10 MB of empty lines took
        # 400 MB.
        if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
            self.lines = _LINE_BREAK.split(text)
            self._line_starts = array("q", [0])
            self._line_starts.extend(m.end() for m in _LINE_BREAK.finditer(text))
        else:  # only \n ends lines: the same table, built without a regex
            self.lines = text.split("\n")
            lengths = map(len, islice(self.lines, len(self.lines) - 1))
            self._line_starts = array("q", accumulate((n + 1 for n in lengths), initial=0))
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


_tuple_new = tuple.__new__  # a NamedTuple without its Python-level __new__: same class, same fields


def _mark_range(start, end) -> Range:
    return _tuple_new(
        Range, (_tuple_new(Position, (start.line, start.column)), _tuple_new(Position, (end.line, end.column)))
    )


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


_STR_TAG = "tag:yaml.org,2002:str"
# str's constructor gives a scalar node's own text: read it directly (same value).
_STR_IS_TEXT = _SCALAR_CONSTRUCTORS[_STR_TAG] is yaml.constructor.SafeConstructor.construct_yaml_str
_new = object.__new__


class _Builder:
    """Turns composed PyYAML nodes into `Node`s, constructing values with safe_load's rules.

    Scalars, most of the nodes of a large config, are made by `_scalar` with no further
    Python call: the range and the node without their Python-level constructors (same
    classes, same fields), a plain string is the node's own text (what str's constructor
    returns), and the other plain scalars (int, float, bool, null: pure functions of their
    text) are constructed once per distinct tag and text in the document.
    """

    def __init__(self, loader, budget: int = MAX_EXPANDED_NODES, built_before: int = 0):
        self.loader = loader
        self.memo: dict[int, Node] = {}
        self.values: dict[tuple[str, str], object] = {}
        self.budget = budget  # nodes left for this document, aliases expanded
        self.built_before = built_before  # distinct nodes of the stream's earlier documents

    def _construct(self, ynode, construct=None):
        """safe_load's value for `ynode` (with `construct`, that scalar constructor).

        What a constructor rejects is a YAML error on the node: PyYAML's own constructors fail on
        odd input with IndexError, AttributeError and others (`!!int` with no value, `!!timestamp`
        alone), where safe_load itself fails with no position.
        """
        try:
            return construct(self.loader, ynode) if construct is not None else self.loader.construct_object(ynode, deep=True)
        except yaml.YAMLError:
            raise  # a ConstructorError already says what and where
        except Exception:
            short = ynode.tag.rsplit(":", 1)[-1]
            what = repr(ynode.value) if isinstance(ynode, yaml.ScalarNode) else \
                f"this {'list' if isinstance(ynode, yaml.SequenceNode) else 'mapping'}"
            raise _Unreadable(f"{what} cannot be read as !!{short}", ynode.start_mark, ynode.end_mark) from None

    def _scalar(self, ynode) -> Node:
        tag = ynode.tag
        if tag == _STR_TAG and _STR_IS_TEXT:
            value = ynode.value
        else:
            key = (tag, ynode.value)
            value = self.values.get(key, _BUILDING)
            if value is _BUILDING:
                construct = _SCALAR_CONSTRUCTORS.get(tag)
                value = self._construct(ynode, construct)
                if construct is not None and value == value:  # (NaN: constructed each time, as before)
                    self.values[key] = value
        start, end = ynode.start_mark, ynode.end_mark
        node = _new(Node)
        # the fields in Node's order, as its __init__ sets them
        node.kind = "scalar"
        node.range = _tuple_new(
            Range, (_tuple_new(Position, (start.line, start.column)), _tuple_new(Position, (end.line, end.column)))
        )
        node.value = value
        node.items = []
        node.pairs = []
        # The C loader gives plain scalars style "", the Python loader None: keep None.
        node.style = ynode.style or None
        node.tag = tag
        node.size = 1
        self.memo[id(ynode)] = node
        return node

    def build(self, ynode, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise _Unreadable(f"nesting deeper than {MAX_DEPTH} levels", ynode.start_mark)
        memo = self.memo
        # An alias is the same composed node object: build it once and share it.
        cached = memo.get(id(ynode))
        if cached is not None:
            if cached.value is _BUILDING:
                raise _Unreadable("an alias refers to a node that contains it (a recursive alias)", ynode.start_mark)
            return cached
        if isinstance(ynode, yaml.ScalarNode):
            return self._scalar(ynode)
        rng = _mark_range(ynode.start_mark, ynode.end_mark)
        is_seq = isinstance(ynode, yaml.SequenceNode)
        node = Node("seq" if is_seq else "map", rng, _BUILDING, tag=ynode.tag)
        if ynode.flow_style:
            node.style = "[" if is_seq else "{"
        memo[id(ynode)] = node
        # Children: what build(child, depth + 1) gives, a scalar made directly when it may be.
        inline = depth < MAX_DEPTH
        scalar, build, scalar_class = self._scalar, self.build, yaml.ScalarNode
        size = 1
        if is_seq:
            items = node.items
            for child in ynode.value:
                if inline and child.__class__ is scalar_class:
                    built = memo.get(id(child)) or scalar(child)
                else:
                    built = build(child, depth + 1)
                items.append(built)
                size += built.size
            value: object = [child.value for child in items]
        else:
            self.loader.flatten_mapping(ynode)  # applies `<<` merge keys, as safe_load does
            mapping: dict = {}
            pairs = node.pairs
            for yk, yv in ynode.value:
                if inline and yk.__class__ is scalar_class:
                    k = memo.get(id(yk)) or scalar(yk)
                else:
                    k = build(yk, depth + 1)
                if inline and yv.__class__ is scalar_class:
                    v = memo.get(id(yv)) or scalar(yv)
                else:
                    v = build(yv, depth + 1)
                pairs.append((k, v))
                size += k.size + v.size
                try:
                    mapping[k.value] = v.value
                except TypeError:
                    raise _Unreadable("a mapping key must be a plain value, not a list or mapping", yk.start_mark) from None
            value = mapping
        # Everything downstream walks the tree with aliases expanded: bound that size.
        node.size = size
        if node.size > self.budget:
            raise _Unreadable(_too_many(self.built_before + len(memo) <= MAX_EXPANDED_NODES), ynode.start_mark)
        if ynode.tag != _PLAIN_TAGS[0 if is_seq else 1]:
            # !!set, !!omap, other tags, and `!!map` on a list: safe_load's constructor decides (or refuses).
            value = self._construct(ynode)
        node.value = value
        return node


def _too_many(through_aliases: bool) -> str:
    if through_aliases:
        return f"the file expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases ({_LIMIT_WHY})"
    return f"the file has more than {MAX_EXPANDED_NODES:,} YAML nodes: keys, values and list items ({_LIMIT_WHY})"


_NODE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent, yaml.AliasEvent)


def _too_many_nodes(source: Source) -> YamlProblem | None:
    """A text of more nodes than MAX_EXPANDED_NODES, found from the parser's events before any
    node is composed (composing 7 MB of YAML takes a gigabyte before the builder can count it).

    A node takes at least two thirds of a character (`[:,:]`: a mapping, its key and its value
    in two), so a shorter text is not counted.
    """
    if len(source.text) * 3 // 2 <= MAX_EXPANDED_NODES:
        return None
    parser = _Loader(source.text)
    count = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, _NODE_EVENTS):
                count += 1
                if count > MAX_EXPANDED_NODES:
                    mark = event.start_mark
                    return YamlProblem(_too_many(False), Range.of(mark.line, mark.column, mark.line, mark.column + 1))
    except yaml.YAMLError:
        pass  # the reading itself reports it, with its position
    finally:
        parser.dispose()
    return None


def _problem(error: Exception, source: Source, loader_class=_Loader) -> YamlProblem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None and isinstance(getattr(error, "position", None), int):
        # A ReaderError (a control character): it knows only the character's offset.
        offset = error.position - getattr(loader_class, "shift", 0)
        if not issubclass(loader_class, yaml.SafeLoader):  # libyaml counts bytes of the UTF-8 text
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


class _BomLoader(yaml.SafeLoader):
    """mergekit's loader for a text with a BOM in it, positions counted in code points.

    mergekit decodes a file as UTF-8, BOM included, and PyYAML skips only a BOM at the very
    start: a second BOM is a character of the first key. A Source's text has lost the file's
    own BOM (decoding, or the editor, dropped it), so it is read after one, and every BOM
    after that one counts as a column, which PyYAML's reader does not do.
    """

    shift = 1  # the BOM put in front: positions in the loader's text are one past the source's

    def __init__(self, text: str):
        super().__init__("\ufeff" + text)

    def forward(self, length=1):
        start = self.pointer
        super().forward(length)
        passed = self.buffer[start : self.pointer]
        if "\ufeff" in passed:
            after_break = max(map(passed.rfind, "\n\r\x85\u2028\u2029")) + 1
            self.column += self.buffer.count("\ufeff", max(start + after_break, self.shift), self.pointer)


def parse(source: Source) -> list[YamlDocument]:
    """Every document of the stream. A syntax error ends the stream at that document."""
    fast = _CLoader if _Loader is not yaml.SafeLoader and not _Loader.yaml_path_resolvers else _Loader
    documents, guarded = _read(source, fast)
    # Re-read with mergekit's own loader where libyaml may read differently, unless libyaml hit
    # a guard (depth, aliases): PyYAML's scanner is quadratic in flow depth, and would only
    # take long to refuse the same text.
    if _Loader is not yaml.SafeLoader and not guarded and _may_differ(source.text):
        documents, _ = _read(source, _BomLoader if "\ufeff" in source.text else yaml.SafeLoader)
    if not source.text.endswith(("\n", "\r", "\x85", "\u2028", "\u2029")):
        _clamp_to_end(documents, source.end)
    if "&" in source.text or "!" in source.text:
        _skip_properties(documents, source)
    return documents


def _read(source: Source, loader_class) -> tuple[list[YamlDocument], bool]:
    """The documents as `loader_class` reads them, and whether a resource guard stopped it."""
    documents: list[YamlDocument] = []
    guarded = False
    too_many = _too_many_nodes(source)
    if too_many is not None:
        return [YamlDocument(0, None, too_many)], True
    budget, built = MAX_EXPANDED_NODES, 0  # for the whole stream: a file of many documents is one check
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
                builder = _Builder(loader, budget, built)
                root = builder.build(ynode)
                budget, built = budget - root.size, built + len(builder.memo)
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


# An anchor or a tag before a scalar, and the blanks and comments after it.
# node properties as PyYAML scans them: an anchor, a verbatim tag `!<...>` (it may hold commas), a tag
_PROPERTIES = re.compile(r"(?:(?:&[\w-]+|!<[^>]*>|![^\s,\[\]{}]*)(?:\s|#[^\n\r]*)*)+")


def _skip_properties(documents: list[YamlDocument], source: Source) -> None:
    """Start each scalar's range at its text, after its `&anchor` and `!tag` (where the parser
    starts it): a fix that replaces the text must keep the anchor its aliases refer to."""
    seen: set[int] = set()
    for document in documents:
        stack = [document.root] if document.root is not None else []
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue  # an alias: the same node, already done
            seen.add(id(node))
            stack.extend(node.items)
            stack.extend(n for pair in node.pairs for n in pair)
            start, end = source.offset(node.range.start), source.offset(node.range.end)
            m = _PROPERTIES.match(source.text, start) if node.is_scalar else None
            if m and m.end() < end:
                node.range = Range(source.position(m.end()), node.range.end)


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

