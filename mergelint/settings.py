"""Settings: `[tool.mergelint]` in pyproject.toml or a `.mergelint.toml`, found upward.

Keys: `select` and `ignore` (rule names or codes), `severity` (a table of rule ->
error|warning|info), `online` (allow network metadata). The CLI, the language server
and the pre-commit hook all read them through `load`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


class SettingsError(Exception):
    pass


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
            raise SettingsError(f"{origin}: '{key}' must be a list of rule names or codes")
        return tuple(value)

    severity = table.get("severity", {})
    if not isinstance(severity, dict) or any(v not in ("error", "warning", "info") for v in severity.values()):
        raise SettingsError(f"{origin}: 'severity' must map rule names to error, warning or info")
    online = table.get("online", False)
    if not isinstance(online, bool):
        raise SettingsError(f"{origin}: 'online' must be true or false")
    unknown = set(table) - {"select", "ignore", "severity", "online"}
    if unknown:
        raise SettingsError(f"{origin}: unknown setting(s) {', '.join(sorted(unknown))}")
    return Settings(names("select"), names("ignore"), tuple(sorted(severity.items())), online, origin)


def _read(path: str) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError:
        return None
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{path}: {e}") from None
    if os.path.basename(path) == "pyproject.toml":
        return data.get("tool", {}).get("mergelint")
    # .mergelint.toml: bare keys, or the [tool.mergelint] table copied from a pyproject.toml
    tool = data.get("tool")
    return tool["mergelint"] if isinstance(tool, dict) and "mergelint" in tool else data


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
