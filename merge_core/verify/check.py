"""What a verification check is and what it reports (the verify counterpart of a checker rule)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Check:
    """One check of `mergelint verify`: a stable code and name, a default severity, its docs.

    `docs` is the check module's docstring (what it checks and why), filled in by the registry.
    The fields match a checker rule's, so the same output formats (SARIF's rule table) take both.
    """

    code: str
    name: str
    severity: str
    summary: str
    docs: str = ""


@dataclass
class Finding:
    """One problem in a model folder.

    `file` is a name inside the folder (`config.json`, a shard), or "" for the folder itself;
    `key` is the config key the finding is about, when there is one (so the report can point at
    its line).
    """

    check: Check
    file: str
    message: str
    severity: str = ""
    key: str | None = None

    def __post_init__(self):
        self.severity = self.severity or self.check.severity
