"""Where the cursor is, read from the lines alone, so that it works on half-typed YAML.

A path names the mapping the cursor is in: keys, and "[]" for a list item, e.g.
`("slices", "[]", "sources", "[]", "parameters")`. The reading follows block YAML's
indentation: a key's mapping is opened by the nearest line above with a smaller key
column (`key:`), or by a list item (`- key: ...`) whose key sits in the same column.
Flow collections are understood one level deep (`parameters: {weight: 1, de|`).
`method_in` reads the same way which merge method the cursor's document names, and
`tool_in` which mergekit command the text is for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from merge_core.language import MERGE_METHOD
from merge_core.method_kit.spec import MergeMethod
from merge_core.methods import METHODS
from merge_core.tools import Tool, tool_of

_LINE = re.compile(r"^(?P<indent>[ ]*)(?P<dashes>(?:-(?:[ \t]+|$))*)(?P<rest>.*)$")
_KEY = re.compile(r"""^(?P<key>"[^"\n]*"|'[^'\n]*'|[^\s#'"{}\[\],:&*!|>%@`][^:#]*?)[ \t]*:(?:[ \t]+(?P<value>.*)|$)""")
_PARTIAL_KEY = re.compile(r"^[\w.\-<]*$")
_MARKER = re.compile(r"^(---|\.\.\.)(\s|$)")
_COMMENT = re.compile(r"(^|\s)#")
_MAX_DEPTH = 64
_METHOD = re.compile(rf"^{MERGE_METHOD}[ \t]*:[ \t]*['\"]?([\w\-]+)")
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w\-]*)[ \t]*:")


@dataclass(frozen=True)
class LineInfo:
    blank: bool = False  # empty or comment only
    marker: bool = False  # `---` or `...`
    indent: int = 0
    dashes: tuple[int, ...] = ()  # columns of `-` list indicators
    key: str | None = None
    key_col: int = 0  # where the content after the indicators starts
    value: str | None = None  # the text after `key:`, comment removed ("" for an opener)

    @property
    def first(self) -> int:
        return self.dashes[0] if self.dashes else self.key_col


def strip_comment(text: str) -> str:
    m = _COMMENT.search(text)
    return (text[: m.start()] if m else text).strip()


def unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def read_line(line: str) -> LineInfo:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return LineInfo(blank=True)
    if _MARKER.match(line):
        return LineInfo(marker=True)
    m = _LINE.match(line)
    indent = len(m["indent"])
    dashes = []
    col = indent
    for token in re.findall(r"-(?:[ \t]+|$)", m["dashes"]):
        dashes.append(col)
        col += len(token)
    key_col = indent + len(m["dashes"])
    km = _KEY.match(m["rest"])
    if km is None:
        return LineInfo(indent=indent, dashes=tuple(dashes), key_col=key_col)
    value = strip_comment(km["value"]) if km["value"] is not None else ""
    return LineInfo(indent=indent, dashes=tuple(dashes), key=unquote(km["key"].strip()), key_col=key_col, value=value)


class Lines:
    """Block structure of a text's lines, read lazily."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self._infos: dict[int, LineInfo] = {}

    def info(self, n: int) -> LineInfo:
        found = self._infos.get(n)
        if found is None:
            found = self._infos[n] = read_line(self.lines[n]) if 0 <= n < len(self.lines) else LineInfo(blank=True)
        return found

    def document_bounds(self, n: int) -> tuple[int, int]:
        """First and last line of the YAML document holding line n."""
        start = n
        while start > 0 and not self.info(start - 1).marker:
            start -= 1
        end = n
        while end + 1 < len(self.lines) and not self.info(end + 1).marker:
            end += 1
        return start, end

    # --- paths --------------------------------------------------------------------

    def mapping_path(self, col: int, n: int, depth: int = 0) -> list[str]:
        """The path of the block mapping whose keys sit at column `col`, seen from line n."""
        if depth > _MAX_DEPTH:
            return []
        for j in range(n - 1, -1, -1):
            li = self.info(j)
            if li.marker:
                break
            if li.blank:
                continue
            if li.dashes:
                if li.key is not None and li.key_col == col:
                    return self.item_path(j, depth + 1)
                if li.key is not None and li.key_col < col:
                    return self.key_path(j, depth + 1) + [li.key]
                if li.dashes[-1] < col:
                    return self.item_path(j, depth + 1)
                continue
            if li.key is not None and li.key_col < col:
                return self.key_path(j, depth + 1) + [li.key]
        return []

    def item_path(self, n: int, depth: int = 0) -> list[str]:
        """The path of the innermost list item that line n starts."""
        li = self.info(n)
        return self.sequence_path(li.dashes[0], n, depth + 1) + ["[]"] * len(li.dashes)

    def key_path(self, n: int, depth: int = 0) -> list[str]:
        """The path of the mapping that holds the key on line n."""
        li = self.info(n)
        if li.dashes:
            return self.item_path(n, depth + 1)
        return self.mapping_path(li.key_col, n, depth + 1)

    def sequence_path(self, dash_col: int, n: int, depth: int = 0) -> list[str]:
        """The path of the block sequence whose `-` sit at `dash_col`, seen from line n."""
        if depth > _MAX_DEPTH:
            return []
        for j in range(n - 1, -1, -1):
            li = self.info(j)
            if li.marker:
                break
            if li.blank:
                continue
            if li.dashes:
                if li.dashes[0] == dash_col:
                    continue
                if li.dashes[0] < dash_col:
                    if li.key is not None and li.key_col <= dash_col:
                        return self.item_path(j, depth + 1) + [li.key]
                    if dash_col in li.dashes:
                        inner = li.dashes.index(dash_col)
                        return self.sequence_path(li.dashes[0], j, depth + 1) + ["[]"] * inner
                    return self.item_path(j, depth + 1)
                continue
            if li.key is not None and li.key_col <= dash_col:
                return self.key_path(j, depth + 1) + [li.key]
        return []

    def sibling_keys(self, col: int, n: int, starts_item: bool) -> set[str]:
        """Keys of the mapping at column `col` around line n (line n itself excluded)."""
        found: set[str] = set()
        start, end = self.document_bounds(n)
        if not starts_item:
            for j in range(n - 1, start - 1, -1):
                li = self.info(j)
                if li.blank:
                    continue
                if li.first < col:
                    if li.dashes and li.key_col == col and li.key is not None:
                        found.add(li.key)
                    break
                if not li.dashes and li.key_col == col and li.key is not None:
                    found.add(li.key)
        for j in range(n + 1, end + 1):
            li = self.info(j)
            if li.blank:
                continue
            if li.first < col:
                break
            if not li.dashes and li.key_col == col and li.key is not None:
                found.add(li.key)
        return found


@dataclass
class Cursor:
    """What is being typed at the cursor.

    kind "key": a key of the mapping at `path` (`siblings` are already there);
    kind "value": the value of `key` in the mapping at `path`;
    kind "none": a comment, a flow list, or something this reading does not follow.
    `start` is the column where the typed word begins; `prefix` is what is typed.
    `needs_space`: the cursor is right after `key:`, so a value needs a space first.
    """

    kind: str
    path: list[str] = field(default_factory=list)
    key: str | None = None
    prefix: str = ""
    start: int = 0
    siblings: set[str] = field(default_factory=set)
    needs_space: bool = False


def _flow(path: list[str], key: str, value: str, value_col: int) -> Cursor:
    """The cursor inside `key: {...` on one line (one level of flow mapping)."""
    brace = value.rfind("{")
    if "}" in value[brace:] or "[" in value[brace:]:
        return Cursor("none")
    inner = value[brace + 1 :]
    entries = inner.split(",")
    current = entries[-1]
    siblings = {unquote(e.split(":", 1)[0].strip()) for e in entries[:-1] if ":" in e}
    offset = value_col + brace + 1 + len(inner) - len(current)
    if ":" in current:
        name, _, typed = current.partition(":")
        lead = len(typed) - len(typed.lstrip())
        return Cursor(
            "value",
            path + [key],
            unquote(name.strip()),
            typed.strip(),
            offset + len(name) + 1 + lead,
            needs_space=not typed,
        )
    lead = len(current) - len(current.lstrip())
    return Cursor("key", path + [key], None, current.strip(), offset + lead, siblings)


def at_cursor(lines: list[str], line: int, col: int) -> Cursor:
    if not 0 <= line < len(lines):
        return Cursor("none")
    text = lines[line]
    before = text[: min(col, len(text))]
    if _COMMENT.search(before) or _MARKER.match(before):
        return Cursor("none")
    reader = Lines(lines)
    m = _LINE.match(before)
    indent = len(m["indent"])
    dashes = []
    c = indent
    for token in re.findall(r"-(?:[ \t]+|$)", m["dashes"]):
        dashes.append(c)
        c += len(token)
    if dashes and not m["dashes"].endswith((" ", "\t")):
        return Cursor("none")  # a bare `-` being typed
    key_col = indent + len(m["dashes"])
    rest = m["rest"]

    def own_path() -> list[str]:
        if dashes:
            return reader.sequence_path(dashes[0], line) + ["[]"] * len(dashes)
        return reader.mapping_path(key_col, line)

    km = _KEY.match(rest)
    if km is not None:
        key = unquote(km["key"].strip())
        raw = km["value"] if km["value"] is not None else ""
        value_col = col - len(raw)
        if raw.lstrip().startswith("{"):
            lead = len(raw) - len(raw.lstrip())
            return _flow(own_path(), key, raw.lstrip(), value_col + lead)
        if raw.lstrip().startswith(("[", "|", ">", "&", "*", "!")):
            return Cursor("none")
        typed = raw.lstrip()
        start = col - len(typed)
        if typed[:1] in ("'", '"'):
            typed, start = typed[1:], start + 1
        return Cursor("value", own_path(), key, typed, start, needs_space=km["value"] is None)
    if _PARTIAL_KEY.match(rest):
        path = own_path()
        siblings = reader.sibling_keys(key_col, line, bool(dashes))
        return Cursor("key", path, None, rest, key_col, siblings)
    return Cursor("none")


@dataclass
class Spot:
    """The key or value under the cursor on a whole line (for hover when the YAML does not parse)."""

    kind: str  # "key" | "value" | "none"
    path: list[str] = field(default_factory=list)
    key: str | None = None
    value: str | None = None
    start: int = 0
    end: int = 0


def at_spot(lines: list[str], line: int, col: int) -> Spot:
    if not 0 <= line < len(lines):
        return Spot("none")
    li = read_line(lines[line])
    if li.key is None or li.blank or li.marker:
        return Spot("none")
    reader = Lines(lines)
    path = reader.key_path(line)
    text = lines[line]
    key_end = text.find(":", li.key_col)
    if li.key_col <= col <= key_end:
        return Spot("key", path, li.key, None, li.key_col, key_end)
    value = li.value or ""
    if value and col > key_end:
        start = text.find(value, key_end)
        if start <= col <= start + len(value):
            return Spot("value", path, li.key, unquote(value), start, start + len(value))
    return Spot("none")


def method_in(lines: list[str], line: int) -> MergeMethod | None:
    """The merge method named in the YAML document that holds `line`, if any."""
    start, end = Lines(lines).document_bounds(min(line, max(len(lines) - 1, 0)))
    for n in range(start, end + 1):
        m = _METHOD.match(lines[n]) if n < len(lines) else None
        if m:
            return METHODS.get(m.group(1))
    return None


def tool_in(lines: list[str]) -> Tool:
    """The mergekit command the text is for (merge_core.tools), from each document's top-level keys."""
    documents: list[list[str]] = [[]]
    for text in lines:
        if _MARKER.match(text):
            documents.append([])
        elif (m := _TOP_LEVEL_KEY.match(text)) is not None:
            documents[-1].append(m.group(1))
    documents = [keys for keys in documents if keys] or [[]]
    return tool_of("\n".join(lines), documents)
