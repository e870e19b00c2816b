"""Editor settings: from initializationOptions and `workspace/configuration`, laid over the project's.

The project's `[tool.mergelint]` / `.mergelint.toml` (found upward from each document,
exactly as the CLI finds it) is the base; what the editor sends is laid on top:
`select` replaces the project's when not empty, `ignore` adds to it, `severity`
overrides per rule, `online` replaces it when given.

Accepted shapes (the section name is `mergelint`):

    {"select": [...], "ignore": [...], "severity": {"rule": "error"}, "online": false}
    {"mergelint": {...}}                      # the section, as workspace/configuration gives it
    {"settings": {...}} / {"globalSettings": {...}}   # vscode-python-tools-extension style
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace

from mergelint import settings as project_settings
from mergelint.settings import Settings, SettingsError

SECTION = "mergelint"
_SEVERITIES = ("error", "warning", "info")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    online: bool | None = None
    enable: bool = True


def _names(value) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def section(options) -> dict:
    if not isinstance(options, dict):
        return {}
    for key in (SECTION, "settings", "globalSettings"):
        inner = options.get(key)
        if isinstance(inner, dict):
            return section(inner) if key != SECTION else inner
    return options


def parse(options) -> tuple[ClientSettings, list[str]]:
    """Client settings from whatever the editor sent, and the problems found in them."""
    table = section(options)
    problems: list[str] = []
    severity = table.get("severity") or {}
    if not isinstance(severity, dict):
        problems.append("'severity' must map rule names to error, warning or info")
        severity = {}
    pairs = []
    for name, level in severity.items():
        if isinstance(level, str) and level.lower() in _SEVERITIES:
            pairs.append((str(name), level.lower()))
        else:
            problems.append(f"severity of {name!r} must be error, warning or info, not {level!r}")
    online = table.get("online")
    if online is not None and not isinstance(online, bool):
        problems.append("'online' must be true or false")
        online = None
    enable = table.get("enable", True)
    return (
        ClientSettings(
            _names(table.get("select")),
            _names(table.get("ignore")),
            tuple(sorted(pairs)),
            online,
            enable if isinstance(enable, bool) else True,
        ),
        problems,
    )


def effective(directory: str | None, client: ClientSettings) -> tuple[Settings, SettingsError | None]:
    """The settings for a document in `directory`, and why the project's file cannot be used, if it
    cannot (then the project's settings are the defaults: the document is still checked)."""
    problem = None
    base = Settings()
    if directory:
        try:
            base = project_settings.load(os.path.abspath(directory))
        except SettingsError as e:
            problem = e
        except Exception as e:  # noqa: BLE001 - a settings file the reader chokes on must not silence the documents
            problem = SettingsError(f"the settings files for {directory} could not be read: {type(e).__name__}: {e}", directory)
    severity = dict(base.severity)
    severity.update(client.severity)
    merged = replace(
        base,
        select=client.select or base.select,
        ignore=base.ignore + client.ignore,
        severity=tuple(sorted(severity.items())),
        online=base.online if client.online is None else client.online,
    )
    return merged, problem


def forget_project_files() -> None:
    """Project settings files changed: read them again next time."""
    project_settings.load.cache_clear()
