"""Settings: `[tool.mergelint]` in pyproject.toml or a `.mergelint.toml`, found upward.

Keys: `select` and `ignore` (rule names or codes: a list, or a comma-separated string),
`severity` (a table of rule -> error|warning|info, any case), `online` (allow network
metadata), `kind` (yaml, moe, multi or evolve: the mergekit command every config it covers is for, as a
`# mergelint: tool=` comment sets it for one file). The CLI, the language server and the pre-commit hook all read them through
`load`; the editor's own settings go through the same `read_table`.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, replace

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from merge_core.language import PYPROJECT, SETTINGS_FILES
from merge_core.tools import TOOL_NAMES

from .diagnostics import SEVERITIES


class SettingsError(Exception):
    """A settings file that cannot be used. The message names it; `path` is the file and `line`
    (1-based) the line at fault, where known, for a client that shows them apart."""

    def __init__(self, message: str, path: str, line: int | None = None):
        super().__init__(message)
        self.path = path
        self.line = line


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    online: bool = False
    kind: str | None = None
    origin: str | None = None

    def merged(self, select=(), ignore=(), online=None, severity=(), kind=None) -> "Settings":
        """These settings with others laid on top: `select` replaces when not empty, `ignore` adds,
        `severity` overrides per rule, `online` and `kind` replace when given."""
        levels = dict(self.severity)
        levels.update(severity)
        return replace(
            self,
            select=tuple(select) or self.select,
            ignore=self.ignore + tuple(ignore),
            severity=tuple(sorted(levels.items())),
            online=self.online if online is None else online,
            kind=self.kind if kind is None else kind,
        )


KEYS = ("select", "ignore", "severity", "online", "kind")
_SEVERITY_FORM = f"'severity' must map rule names to {', '.join(SEVERITIES[:-1])} or {SEVERITIES[-1]}"


def rule_names(value) -> tuple[str, ...] | None:
    """Rule names or codes from a list of them or one string, each item comma-separated or not
    (rule names have no commas); None when `value` is neither."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None
    return tuple(n.strip() for v in value for n in v.split(",") if n.strip())


def read_table(table: dict) -> tuple[dict, list[str]]:
    """The usable settings among `table`'s KEYS, by key, and what is wrong with each value left out.
    The one validator: a settings file and an editor's settings accept the same forms (severity
    words in any case). Other keys are the caller's to judge."""
    found: dict = {}
    problems: list[str] = []
    for key in ("select", "ignore"):
        if key in table:
            names = rule_names(table[key])
            if names is None:
                problems.append(f"'{key}' must be a list of rule names or codes (or one comma-separated string)")
            else:
                found[key] = names
    if "severity" in table:
        if isinstance(table["severity"], dict):
            levels = []
            for name, level in table["severity"].items():
                if isinstance(level, str) and level.lower() in SEVERITIES:
                    levels.append((str(name), level.lower()))
                else:
                    problems.append(f"{_SEVERITY_FORM}, not {name!r} to {level!r}")
            found["severity"] = tuple(sorted(levels))
        else:
            problems.append(_SEVERITY_FORM)
    if "online" in table:
        if isinstance(table["online"], bool):
            found["online"] = table["online"]
        else:
            problems.append("'online' must be true or false")
    if "kind" in table:
        if table["kind"] in TOOL_NAMES:
            found["kind"] = table["kind"]
        else:
            problems.append(f"'kind' must be one of {', '.join(TOOL_NAMES)}, not {table['kind']!r}")
    return found, problems


def _from_table(table: dict, origin: str) -> Settings:
    unknown = set(table) - set(KEYS)
    if unknown:
        raise SettingsError(f"{origin}: unknown setting(s) {', '.join(sorted(unknown))}", origin)
    found, problems = read_table(table)
    if problems:
        raise SettingsError(f"{origin}: {'; '.join(problems)}", origin)
    return Settings(**found, origin=origin)


_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def _read(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise SettingsError(f"{path}: not UTF-8 text (invalid byte at line {line}, offset {e.start}); "
                            "TOML files are UTF-8", path, line) from None
    except tomllib.TOMLDecodeError as e:
        at = _TOML_LINE.search(str(e))
        raise SettingsError(f"{path}: not valid TOML: {e}", path, int(at.group(1)) if at else None) from None
    tool = data.get("tool")
    if os.path.basename(path) == PYPROJECT:
        table = tool.get("mergelint") if isinstance(tool, dict) else None
    else:  # .mergelint.toml: bare keys, or the [tool.mergelint] table copied from a pyproject.toml
        table = tool["mergelint"] if isinstance(tool, dict) and "mergelint" in tool else data
    if table is not None and not isinstance(table, dict):
        raise SettingsError(f"{path}: tool.mergelint must be a table of settings ([tool.mergelint])", path)
    return table


@functools.lru_cache(maxsize=256)
def load(directory: str) -> Settings:
    """The settings that apply to files in `directory` (the nearest file upward wins)."""
    directory = os.path.abspath(directory)
    while True:
        for name in SETTINGS_FILES:
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                table = _read(path)
                if table is not None:
                    return _from_table(table, path)
        parent = os.path.dirname(directory)
        if parent == directory:
            return Settings()
        directory = parent
