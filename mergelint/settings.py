"""Settings: `[tool.mergelint]` in pyproject.toml or a `.mergelint.toml`, found upward.

Keys: `select` and `ignore` (rule names or codes), `severity` (a table of rule ->
error|warning|info), `online` (allow network metadata). The CLI, the language server
and the pre-commit hook all read them through `load`.
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
    origin: str | None = None

    def merged(self, select=(), ignore=(), online=None) -> "Settings":
        return replace(
            self,
            select=tuple(select) or self.select,
            ignore=self.ignore + tuple(ignore),
            online=self.online if online is None else online,
        )


def _from_table(table: dict, origin: str) -> Settings:
    def names(key):
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{origin}: '{key}' must be a list of rule names or codes", origin)
        return tuple(value)

    severity = table.get("severity", {})
    if not isinstance(severity, dict) or any(v not in ("error", "warning", "info") for v in severity.values()):
        raise SettingsError(f"{origin}: 'severity' must map rule names to error, warning or info", origin)
    online = table.get("online", False)
    if not isinstance(online, bool):
        raise SettingsError(f"{origin}: 'online' must be true or false", origin)
    unknown = set(table) - {"select", "ignore", "severity", "online"}
    if unknown:
        raise SettingsError(f"{origin}: unknown setting(s) {', '.join(sorted(unknown))}", origin)
    return Settings(names("select"), names("ignore"), tuple(sorted(severity.items())), online, origin)


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
    if os.path.basename(path) == "pyproject.toml":
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
        for name in (".mergelint.toml", "pyproject.toml"):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                table = _read(path)
                if table is not None:
                    return _from_table(table, path)
        parent = os.path.dirname(directory)
        if parent == directory:
            return Settings()
        directory = parent
