"""`mergelint verify`'s findings as the checker's diagnostics, so every output format takes them.

A finding names a file of the model folder. A finding about a config key points at that key
in the JSON file (shown with its line, as a config diagnostic is); any other finding is
placed at the start of its file (line 1, column 1, an empty range), which is where editors
and code scanning put a file-level result.
"""

from __future__ import annotations

import os

from .diagnostics import Diagnostic
from .document import Range, Source

MAX_TEXT = 4 * 1024 * 1024  # a config.json or an index; larger files are not shown
START = Range.of(0, 0, 0, 0)


def as_results(report) -> list[tuple[Source, list[Diagnostic]]]:
    """(Source, diagnostics) per file, in the order the files first appear among the findings."""
    grouped: dict[str, tuple[Source, list[Diagnostic]]] = {}
    for f in report.findings:
        path = os.path.join(report.folder, f.file) if f.file else report.folder
        if path not in grouped:
            grouped[path] = (_source(path, f.key is not None), [])
        source, diagnostics = grouped[path]
        diagnostics.append(Diagnostic(f.check.code, f.check.name, f.severity, f.message, _range(source, f.key)))
    return list(grouped.values())


def _source(path: str, want_text: bool) -> Source:
    if want_text:
        try:
            if os.path.isfile(path) and os.path.getsize(path) <= MAX_TEXT:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    return Source(fh.read(), path)
        except OSError:
            pass
    return Source("", path)


def _range(source: Source, key: str | None) -> Range:
    """The quoted key (the last part of a dotted key, found after its parents), else the file's start."""
    if not key:
        return START
    offset = 0
    for part in key.split("."):
        offset = source.text.find(f'"{part}"', offset)
        if offset < 0:
            return START
    return Range(source.position(offset), source.position(offset + len(part) + 2))
