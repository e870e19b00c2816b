"""mergelint's checker over each sampled config, as `mergelint run` lints before merging."""

from __future__ import annotations

import os

from mergelint.check_context import CheckContext
from mergelint.checker import check
from mergelint.document import Source
from mergelint.settings import load


class Checker:
    def __init__(self, sweep_file: str):
        # The settings of the sweep's folder (pyproject.toml, .mergelint.toml), as `run` reads the config's.
        self.settings = load(os.path.dirname(os.path.abspath(sweep_file))).merged((), (), None)

    def errors(self, text: str, name: str) -> list[str]:
        """The errors `mergelint run` would refuse this config for (a missing local model included)."""
        found = check(CheckContext(Source(text, name), self.settings, for_run=True))
        return [f"{name}:{d.range.start.line + 1}:{d.range.start.column + 1}: {d.rule}: {d.message}"
                for d in found if d.severity == "error"]
