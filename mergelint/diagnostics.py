"""What the checker reports: diagnostics, their fixes, and the text edits a fix makes."""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import Range

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Edit:
    """Replace the text in `range` (0-based, end exclusive) with `new_text`."""

    range: Range
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True
    preferred: bool = False

    @property
    def applicability(self) -> str:
        return "safe" if self.safe else "unsafe"


@dataclass
class Diagnostic:
    code: str
    rule: str
    severity: str
    message: str
    range: Range
    fixes: list[Fix] = field(default_factory=list)
    document: int = 0

    @property
    def preferred_fix(self) -> Fix | None:
        for fix in self.fixes:
            if fix.preferred and fix.safe:
                return fix
        return None

    def sort_key(self) -> tuple:
        return (self.range.start, self.range.end, self.code, self.message)
