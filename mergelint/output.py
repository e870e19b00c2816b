"""Output formats: text (with the source line and a caret), json, github, sarif."""

from __future__ import annotations

import io
import json

from . import __version__
from .diagnostics import Diagnostic
from .document import Source
from .rules import RULES


def _one_based(d: Diagnostic) -> dict:
    r = d.range
    return {
        "line": r.start.line + 1,
        "column": r.start.column + 1,
        "end_line": r.end.line + 1,
        "end_column": r.end.column + 1,
    }


def _fix_json(fix) -> dict:
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "preferred": fix.preferred,
        "edits": [
            {
                "line": e.range.start.line + 1,
                "column": e.range.start.column + 1,
                "end_line": e.range.end.line + 1,
                "end_column": e.range.end.column + 1,
                "new_text": e.new_text,
            }
            for e in fix.edits
        ],
    }


def _item_json(source: Source, d: Diagnostic) -> dict:
    return {
        "path": source.path,
        "rule": d.rule,
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        **_one_based(d),
        "fixes": [_fix_json(f) for f in d.fixes],
    }


class _JsonArray:
    """Writes `[`, then each item as it comes, then `]`: the text json.dumps(items, indent=2) gives
    for the whole list, nested `depth` levels deep, without holding the list."""

    def __init__(self, stream, depth: int = 0):
        self.stream = stream
        self.margin = "  " * depth
        self.count = 0
        stream.write("[")

    def add(self, item) -> None:
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n  " + self.margin)
        self.stream.write(("," if self.count else "") + "\n  " + self.margin + text)
        self.count += 1

    def close(self) -> None:
        self.stream.write(("\n" + self.margin if self.count else "") + "]")


class _JsonWriter:
    def __init__(self, stream, color: bool = False):
        self.items = _JsonArray(stream)
        self.stream = stream

    def add(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        for d in diagnostics:
            self.items.add(_item_json(source, d))

    def close(self) -> None:
        self.items.close()
        self.stream.write("\n")


class _TextWriter:
    def __init__(self, stream, color: bool = False):
        self.stream = stream
        self.paint = _Paint(color)

    def add(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        paint, write = self.paint, self.stream.write
        path = source.path.translate(_CONTROLS)  # a file name may hold an ESC too
        for d in diagnostics:
            pos = _one_based(d)
            write(f"{paint.bold(path)}:{pos['line']}:{pos['column']}: {paint.severity(d.severity)}[{d.rule}] {d.message.translate(_CONTROLS)}\n")
            for line in _snippet(source, d, paint):
                write(line + "\n")
            for fix in d.fixes:
                mark = "fix" if fix.safe else "unsafe fix"
                write(f"  = {mark}: {fix.title}\n")

    def close(self) -> None:
        pass


def _as_string(writer_class, results, **options) -> str:
    """What the writer writes for `results`, without the final line break (callers echo it)."""
    stream = io.StringIO()
    writer = writer_class(stream, **options)
    for source, diagnostics in results:
        writer.add(source, diagnostics)
    writer.close()
    return stream.getvalue().removesuffix("\n")


def as_json(results: list[tuple[Source, list[Diagnostic]]]) -> str:
    return _as_string(_JsonWriter, results)


def as_text(results, color: bool = False) -> str:
    return _as_string(_TextWriter, results, color=color)


_CONTROLS = {c: "\ufffd" for c in [*range(0x20), *range(0x7F, 0xA0)]}
# Columns of a long line shown on each side of the underlined text (rustc and ruff cut lines
# too): a minified config on one line would otherwise print the whole line for every diagnostic.
SNIPPET_MARGIN = 60
_CUT = "..."


def _snippet(source: Source, d: Diagnostic, paint) -> list[str]:
    line = d.range.start.line
    full = source.line_text(line)
    start = min(d.range.start.column, len(full))
    end = d.range.end.column if d.range.end.line == line else len(full)
    width = min(max(1, min(end, len(full)) - start), 2 * SNIPPET_MARGIN)
    first, last = max(0, start - SNIPPET_MARGIN), min(len(full), start + width + SNIPPET_MARGIN)
    # One column per code point, and no control character reaches the terminal (an ESC in a
    # config must not drive it): tabs become spaces, the rest U+FFFD. Only the shown part is
    # converted, so a diagnostic costs the same on a line of any length.
    text = full[first:last].replace("\t", " ").translate(_CONTROLS)
    if not text.strip():
        return []
    before = _CUT if first > 0 else ""
    text = before + text + (_CUT if last < len(full) else "")
    number = str(line + 1)
    gutter = " " * len(number)
    return [
        f" {gutter} |",
        f" {number} | {text}",
        f" {gutter} | {' ' * (len(before) + start - first)}{paint.severity_color(d.severity, '^' * width)}",
    ]


class _Paint:
    _CODES = {"error": "31", "warning": "33", "info": "36"}

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def severity(self, severity: str) -> str:
        return self._wrap("1;" + self._CODES[severity], severity)

    def severity_color(self, severity: str, text: str) -> str:
        return self._wrap(self._CODES[severity], text)


def _escape_github(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


class _GithubWriter:
    _LEVEL = {"error": "error", "warning": "warning", "info": "notice"}

    def __init__(self, stream, color: bool = False):
        self.stream = stream

    def add(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        for d in diagnostics:
            pos = _one_based(d)
            props = ",".join(
                [
                    f"file={_escape_github(source.path, True)}",
                    f"line={pos['line']}",
                    f"col={pos['column']}",
                    f"endLine={pos['end_line']}",
                    f"endColumn={pos['end_column']}",
                    f"title={_escape_github(f'{d.rule} ({d.code})', True)}",
                ]
            )
            self.stream.write(f"::{self._LEVEL[d.severity]} {props}::{_escape_github(d.message)}\n")

    def close(self) -> None:
        pass


def as_github(results) -> str:
    return _as_string(_GithubWriter, results)


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_RESULTS_HERE = "\x00results\x00"


class _SarifWriter:
    """The SARIF log around its results, which are written as they come."""

    def __init__(self, stream, color: bool = False, rules=None):
        """`rules`: what the results' codes refer to (default: the checker's; verify passes its checks)."""
        from .suppressions import UNUSED

        rules = [*RULES, UNUSED] if rules is None else rules
        self.index = {r.code: i for i, r in enumerate(rules)}
        run = {
            "tool": {
                "driver": {
                    "name": "mergelint",
                    "version": __version__,
                    "informationUri": "https://github.com/mergelint/mergelint",
                    "rules": [
                        {
                            "id": r.code,
                            "name": r.name,
                            "shortDescription": {"text": r.summary},
                            "fullDescription": {"text": r.docs},
                            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
                        }
                        for r in rules
                    ],
                }
            },
            "results": _RESULTS_HERE,
        }
        doc = {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        }
        head, self.tail = json.dumps(doc, indent=2, ensure_ascii=False).split(json.dumps(_RESULTS_HERE))
        stream.write(head)
        self.stream = stream
        last_line = head.rsplit("\n", 1)[-1]
        self.results = _JsonArray(stream, depth=(len(last_line) - len(last_line.lstrip(" "))) // 2)

    def add(self, source: Source, diagnostics: list[Diagnostic]) -> None:
        for d in diagnostics:
            pos = _one_based(d)
            self.results.add(
                {
                    "ruleId": d.code,
                    "ruleIndex": self.index[d.code],
                    "level": _SARIF_LEVEL[d.severity],
                    "message": {"text": d.message},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": source.path},
                                "region": {
                                    "startLine": pos["line"],
                                    "startColumn": pos["column"],
                                    "endLine": pos["end_line"],
                                    "endColumn": pos["end_column"],
                                },
                            }
                        }
                    ],
                }
            )

    def close(self) -> None:
        self.results.close()
        self.stream.write(self.tail + "\n")


def as_sarif(results, rules=None) -> str:
    return _as_string(_SarifWriter, results, rules=rules)


# Each format as a writer: add(source, diagnostics) writes one file's diagnostics to the stream
# at once (a directory of configs is reported as it is checked, never held), close() ends it.
WRITERS = {"text": _TextWriter, "json": _JsonWriter, "github": _GithubWriter, "sarif": _SarifWriter}
FORMATS = {"text": as_text, "json": as_json, "github": as_github, "sarif": as_sarif}
