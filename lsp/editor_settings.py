"""Editor settings: from initializationOptions and `workspace/configuration`, laid over the project's.

The project's `[tool.mergelint]` / `.mergelint.toml` (found upward from each document,
exactly as the CLI finds it) is the base; what the editor sends is laid on top:
`select` replaces the project's when not empty, `ignore` adds to it, `severity`
overrides per rule, `online` and `kind` (the mergekit command every document is for) replace
it when given.

Accepted shapes (the section name is `mergelint`):

    {"select": [...], "ignore": [...], "severity": {"rule": "error"}, "online": false, "kind": "moe"}
    {"mergelint": {...}}                      # the section, as workspace/configuration gives it
    {"settings": {...}} / {"globalSettings": {...}}   # vscode-python-tools-extension style
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mergelint import settings as project_settings
from mergelint.settings import KEYS, Settings, SettingsError, read_table

SECTION = "mergelint"
AUTO_KIND = "auto"  # `kind` as VS Code's setting defaults to it: each file's content (or comment) decides


@dataclass(frozen=True)
class ClientSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    online: bool | None = None
    kind: str | None = None  # yaml, moe, multi or evolve (read_table checks it)
    enable: bool = True


def section(options) -> dict:
    if not isinstance(options, dict):
        return {}
    for key in (SECTION, "settings", "globalSettings"):
        inner = options.get(key)
        if isinstance(inner, dict):
            return section(inner) if key != SECTION else inner
    return options


def parse(options) -> tuple[ClientSettings, list[str]]:
    """Client settings from whatever the editor sent, and the problems found in them.

    The settings model's own validator judges the values; this layer only translates the
    LSP shapes: the section is found, null means "not set", and the keys the editor keeps in
    the same section for itself (`enable`, `path`, `trace`...) are not errors; `kind: auto` is
    `kind` not set."""
    table = section(options)
    given = {key: table[key] for key in KEYS if table.get(key) is not None}
    if given.get("kind") == AUTO_KIND:
        del given["kind"]
    found, problems = read_table(given)
    enable = table.get("enable", True)
    return ClientSettings(**found, enable=enable if isinstance(enable, bool) else True), problems


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
    return base.merged(client.select, client.ignore, client.online, client.severity, client.kind), problem


def forget_project_files() -> None:
    """Project settings files changed: read them again next time."""
    project_settings.load.cache_clear()
