"""Output formats: text (with the source line and a caret), json, github, sarif."""

from __future__ import annotations

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


def as_json(results: list[tuple[Source, list[Diagnostic]]]) -> str:
    items = []
    for source, diagnostics in results:
        for d in diagnostics:
            items.append(
                {
                    "path": source.path,
                    "rule": d.rule,
                    "code": d.code,
                    "severity": d.severity,
                    "message": d.message,
                    **_one_based(d),
                    "fixes": [_fix_json(f) for f in d.fixes],
                }
            )
    return json.dumps(items, indent=2, ensure_ascii=False)


def as_text(results, color: bool = False) -> str:
    paint = _Paint(color)
    out = []
    for source, diagnostics in results:
        for d in diagnostics:
            pos = _one_based(d)
            head = f"{paint.bold(source.path)}:{pos['line']}:{pos['column']}: {paint.severity(d.severity)}[{d.rule}] {d.message.translate(_CONTROLS)}"
            out.append(head)
            out.extend(_snippet(source, d, paint))
            for fix in d.fixes:
                mark = "fix" if fix.safe else "unsafe fix"
                out.append(f"  = {mark}: {fix.title}")
    return "\n".join(out)


_CONTROLS = {c: "\ufffd" for c in [*range(0x20), *range(0x7F, 0xA0)]}


def _snippet(source: Source, d: Diagnostic, paint) -> list[str]:
    line = d.range.start.line
    # One column per code point, and no control character reaches the terminal (an ESC in a
    # config must not drive it): tabs become spaces, the rest U+FFFD.
    text = source.line_text(line).replace("\t", " ").translate(_CONTROLS)
    if not text.strip():
        return []
    number = str(line + 1)
    gutter = " " * len(number)
    start = d.range.start.column
    end = d.range.end.column if d.range.end.line == line else len(text)
    width = max(1, min(end, len(text)) - start)
    return [
        f" {gutter} |",
        f" {number} | {text}",
        f" {gutter} | {' ' * start}{paint.severity_color(d.severity, '^' * width)}",
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


def as_github(results) -> str:
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for source, diagnostics in results:
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
            out.append(f"::{level[d.severity]} {props}::{_escape_github(d.message)}")
    return "\n".join(out)


def as_sarif(results) -> str:
    from .suppressions import UNUSED

    rules = [*RULES, UNUSED]
    index = {r.code: i for i, r in enumerate(rules)}
    level = {"error": "error", "warning": "warning", "info": "note"}
    sarif_results = []
    for source, diagnostics in results:
        for d in diagnostics:
            pos = _one_based(d)
            sarif_results.append(
                {
                    "ruleId": d.code,
                    "ruleIndex": index[d.code],
                    "level": level[d.severity],
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
                        "defaultConfiguration": {"level": level[r.severity]},
                    }
                    for r in rules
                ],
            }
        },
        "results": sarif_results,
    }
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


FORMATS = {"text": as_text, "json": as_json, "github": as_github, "sarif": as_sarif}
