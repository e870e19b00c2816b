"""Positions: the checker's code-point line/column <-> the client's negotiated encoding.

The checker reports 0-based lines and columns counted in Unicode code points
(`mergelint.document.Position`). LSP counts columns in the encoding negotiated at
initialize: UTF-16 code units unless the client offered something else. Every
conversion goes through a code-point offset into the text, so the checker's line
table and the client's (`\\n`, `\\r\\n` and `\\r` end a line) never have to agree on
anything but offsets.
"""

from __future__ import annotations

import re

from lsprotocol import types

from mergelint.document import Position as CheckerPosition
from mergelint.document import Range as CheckerRange
from mergelint.document import Source

_BREAK = re.compile(r"\r\n|\r|\n")

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(text: str, encoding: str) -> int:
    """Length of `text` in code units of the encoding."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _code_points(line: str, units: int, encoding: str) -> int:
    """How many code points of `line` fit in `units` code units (clamped to the line)."""
    if units <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    used = 0
    for i, ch in enumerate(line):
        if encoding == UTF8:
            used += len(ch.encode("utf-8", "surrogatepass"))
        else:
            used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return i
        if used == units:
            return i + 1
    return len(line)


class LineIndex:
    """The client's view of a text: its lines, and offsets <-> LSP positions."""

    def __init__(self, text: str, encoding: str = UTF16):
        self.text = text
        self.encoding = str(encoding or UTF16)
        self.starts = [0]
        # (start of line, end of its content) for every line, line breaks excluded.
        self._ends: list[int] = []
        for m in _BREAK.finditer(text):
            self._ends.append(m.start())
            self.starts.append(m.end())
        self._ends.append(len(text))

    def line(self, n: int) -> str:
        if not 0 <= n < len(self.starts):
            return ""
        return self.text[self.starts[n] : self._ends[n]]

    def lines(self) -> list[str]:
        return [self.text[s:e] for s, e in zip(self.starts, self._ends)]

    # --- offsets <-> LSP positions -------------------------------------------------

    def position(self, offset: int) -> types.Position:
        import bisect

        offset = max(0, min(offset, len(self.text)))
        n = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[n]
        column = min(offset, self._ends[n]) - start
        return types.Position(line=n, character=_units(self.text[start : start + column], self.encoding))

    def offset(self, pos: types.Position) -> int:
        """The code-point offset of an LSP position; past the end of a line or the text is clamped."""
        line = pos.line
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        return self.starts[line] + _code_points(self.line(line), pos.character, self.encoding)

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def cursor(self, pos: types.Position) -> tuple[int, int]:
        """An LSP position as (line, code-point column) in this index's lines, clamped."""
        if pos.line >= len(self.starts):
            n = len(self.starts) - 1
            return n, len(self.line(n))
        line = max(pos.line, 0)
        return line, _code_points(self.line(line), pos.character, self.encoding)

    def line_col_range(self, line: int, start_col: int, end_col: int) -> types.Range:
        base = self.starts[line] if 0 <= line < len(self.starts) else len(self.text)
        return self.range(base + start_col, base + end_col)

    # --- the checker's positions ---------------------------------------------------

    def from_checker(self, source: Source, rng: CheckerRange) -> types.Range:
        return self.range(source.offset(rng.start), source.offset(rng.end))

    def to_checker(self, source: Source, pos: types.Position) -> CheckerPosition:
        return source.position(self.offset(pos))


def contains(rng: types.Range, pos: types.Position) -> bool:
    start, end = rng.start, rng.end
    return (start.line, start.character) <= (pos.line, pos.character) <= (end.line, end.character)


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a point (touching ends count: a cursor at a word's end is on it)."""
    a0, a1 = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b0, b1 = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a0 <= b1 and b0 <= a1
