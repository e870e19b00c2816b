"""What the checker reports: diagnostics, their fixes, and the text edits a fix makes."""

from __future__ import annotations

from dataclasses import dataclass, field

from .document import Position, Range

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Edit:
    """Replace the text in `range` (0-based, end exclusive) with `new_text`."""

    range: Range
    new_text: str


# A key a fix writes: (the start of the mapping that gets it, the key). Fixes that write the
# same slot are one decision: fixing.resolve() applies at most one of them.
Slot = tuple[Position, str]


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True
    preferred: bool = False
    writes: frozenset[Slot] = frozenset()
    # The value it writes is invented (`weight: 1.0`), not the user's: it yields to a fix
    # that writes the same slot with what the user wrote (a rename, a move).
    placeholder: bool = False

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
        return self.fix_to_apply()

    def fix_to_apply(self, unsafe: bool = False) -> Fix | None:
        """The preferred fix that `--fix` applies (with `unsafe`, an unsafe one too)."""
        for fix in self.fixes:
            if fix.preferred and (fix.safe or unsafe):
                return fix
        return None

    def sort_key(self) -> tuple:
        return (self.range.start, self.range.end, self.code, self.message)
