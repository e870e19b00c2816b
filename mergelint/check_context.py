"""What one check reads besides the rules: made once, then passed unchanged through check, fix and run.

The CLI's check and --fix, `mergelint run`'s lint and the editor's live check and fix-all each
build one `CheckContext` and hand it on; a re-check after a round of fixes is the same context
with the fixed text (`with_source`), so relative model paths, settings and the run/check
distinction never differ between the diagnostics and the fixes made of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from merge_core.inspect import Inspector

from .document import Source
from .settings import Settings


@dataclass(frozen=True)
class CheckContext:
    source: Source
    settings: Settings = Settings()
    # Where relative model paths resolve, as mergekit resolves them against its working
    # directory (None: the current directory); the editor passes the workspace folder.
    base_dir: str | None = None
    # Model facts; None: an Inspector over base_dir, online only when the settings say so (set
    # once the context is made: never None after that).
    inspector: Inspector | None = None
    # `mergelint run`: the merge is about to happen here, so a missing local model is an error.
    for_run: bool = False

    def __post_init__(self):
        if self.inspector is None:
            object.__setattr__(self, "inspector", Inspector(self.base_dir, online=self.settings.online))
        elif self.base_dir is None:
            object.__setattr__(self, "base_dir", self.inspector.base_dir)

    def with_source(self, source: Source) -> "CheckContext":
        """The same check of another text (the file after a round of fixes)."""
        return replace(self, source=source)
