"""Apply fixes: minimal edits, re-checked after each one, written atomically."""

from __future__ import annotations

import os
import tempfile

from .checker import check_source
from .diagnostics import Diagnostic, Edit
from .document import Source
from .settings import Settings

MAX_PASSES = 200


def apply_edits(source: Source, edits: tuple[Edit, ...] | list[Edit]) -> str:
    """The text with the edits applied (they must not overlap)."""
    text = source.text
    spans = sorted(((source.offset(e.range.start), source.offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def fix_source(source: Source, settings: Settings = Settings()) -> tuple[Source, list[Diagnostic], int]:
    """Apply preferred safe fixes one at a time until none is left.

    One at a time, because two fixes on the same mapping (say, two keys moved under a
    `parameters:` that does not exist yet) would each create it; after a re-check the
    second one finds the first's result.
    """
    applied = 0
    seen = {source.text}
    for _ in range(MAX_PASSES):
        diagnostics = check_source(source, settings)
        fix = next((d.preferred_fix for d in diagnostics if d.preferred_fix), None)
        if fix is None:
            return source, diagnostics, applied
        text = apply_edits(source, fix.edits)
        if text in seen:  # a fix that undoes another: stop rather than loop
            return source, diagnostics, applied
        seen.add(text)
        source = Source(text, source.path)
        applied += 1
    return source, check_source(source, settings), applied


def write_atomically(path: str, text: str) -> None:
    path = os.path.realpath(path)  # through a symlink: replace its target, keep the link
    try:
        with open(path, "rb") as f:
            if f.read(3) == b"\xef\xbb\xbf" and not text.startswith("\ufeff"):
                text = "\ufeff" + text  # the file had a BOM, which decoding dropped: keep it
    except OSError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".mergelint-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
