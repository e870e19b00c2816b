"""Apply fixes: minimal edits, chosen as one decision per key and per span, written atomically."""

from __future__ import annotations

import bisect
import os
import tempfile

from .check_context import CheckContext
from .checker import InputError, check
from .diagnostics import Diagnostic, Edit, Fix
from .document import Position, Source

# Each round applies every fix that does not conflict with another; a fix that waits is one
# that needs another's result first (a second key moved under a `parameters:` the first
# creates), so the rounds needed are the longest such chain, a handful in practice.
MAX_ROUNDS = 32


def apply_edits(source: Source, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """The text with the edits applied (they must not overlap)."""
    text = source.text
    spans = sorted(((source.offset(e.range.start), source.offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def resolve(diagnostics: list[Diagnostic], unsafe: bool = False) -> list[Fix]:
    """The fixes to apply together, out of each diagnostic's preferred fix (safe ones; with
    `unsafe`, unsafe ones too), in the diagnostics' order.

    Fixes that write the same key (`Fix.writes`) are one decision: a placeholder, which
    invents a value, gives way to a fix that keeps the user's (`weigth: 0.5` is renamed, not
    joined by `weight: 1.0`); of the others the first is applied. A fix whose edits overlap
    another's, or meet it at one point (where the order of the two would be a guess), is left
    for the next round too: nothing applied together can contradict itself.
    """
    candidates = [fix for d in diagnostics if (fix := d.fix_to_apply(unsafe)) is not None]
    kept = {slot for fix in candidates if not fix.placeholder for slot in fix.writes}
    chosen: list[Fix] = []
    offered: set[Fix] = set()
    written: set = set()
    spans: list[tuple[Position, Position]] = []  # of the chosen fixes' edits, sorted, none conflicting
    for fix in candidates:
        if fix in offered:  # the same fix offered by two diagnostics (through an alias, say)
            continue
        offered.add(fix)
        if fix.placeholder and fix.writes & kept or fix.writes & written:
            continue
        if any(_conflicts(spans, e.range) for e in fix.edits):
            continue
        chosen.append(fix)
        written |= fix.writes
        for e in fix.edits:
            bisect.insort(spans, tuple(e.range))
    return chosen


def _conflicts(spans: list[tuple[Position, Position]], rng) -> bool:
    start, end = rng
    i = bisect.bisect_left(spans, (start,))
    if i and _meet(spans[i - 1], start, end):
        return True
    while i < len(spans) and spans[i][0] <= end:
        if _meet(spans[i], start, end):
            return True
        i += 1
    return False


def _meet(span, start: Position, end: Position) -> bool:
    """Whether two edits overlap, or one inserts where the other begins, ends or inserts."""
    a, b = span
    if a < end and start < b:
        return True
    return (a == b or start == end) and a <= end and start <= b


def apply_fixes(context: CheckContext, *, unsafe: bool = False) -> tuple[Source, list[Diagnostic], int]:
    """Apply fixes in rounds, each every fix resolve() chooses, then one re-check in the same
    context; until none is left, a round would undo an earlier one, or MAX_ROUNDS. Returns the
    text, its diagnostics (what is left to fix is in them: `remaining()`), and how many fixes
    were applied.
    """
    applied = 0
    source = context.source
    seen = {source.text}
    for _ in range(MAX_ROUNDS):
        diagnostics = check(context)
        chosen = resolve(diagnostics, unsafe)
        if not chosen:
            return source, diagnostics, applied
        text = apply_edits(source, [e for fix in chosen for e in fix.edits])
        if text in seen:  # fixes that undo others: stop rather than loop
            return source, diagnostics, applied
        seen.add(text)
        source = Source(text, source.path)
        context = context.with_source(source)
        applied += len(chosen)
    return source, check(context), applied


def remaining(diagnostics: list[Diagnostic], unsafe: bool = False) -> int:
    """How many of these diagnostics still have a fix `--fix` would apply."""
    return sum(d.fix_to_apply(unsafe) is not None for d in diagnostics)


def write_atomically(path: str, text: str) -> None:
    """Replace the file's text by way of a new file beside it; what stops that (a read-only
    folder, a full disk) is an InputError naming the file."""
    given, path = path, os.path.realpath(path)  # through a symlink: replace its target, keep the link
    try:
        with open(path, "rb") as f:
            if f.read(3) == b"\xef\xbb\xbf":
                # The file had a BOM, which decoding dropped (a BOM still in the text is a second one).
                text = "\ufeff" + text
    except OSError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mergelint-", dir=directory)
    except OSError as e:
        raise _unwritable(given, directory, e) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException as e:
        os.unlink(tmp)
        if isinstance(e, OSError):
            raise _unwritable(given, directory, e) from None
        raise


def _unwritable(path: str, directory: str, error: OSError) -> InputError:
    return InputError(f"{path}: cannot write the fixed file: {error.strerror or error} (--fix writes a new file "
                      f"in {directory} and renames it over the old one: that folder must be writable)")
