"""Local model folders, offered by completion: folders holding config.json or adapter_config.json.

mergekit treats a reference as a local folder when that path exists (relative paths
from where it runs), and as a Hugging Face repo id otherwise. Only file names are
looked at here; hover and go-to-definition resolve references through merge_core.inspect.
"""

from __future__ import annotations

import os

from merge_core.language import ADAPTER_CONFIG, MODEL_CONFIG

_SKIP = {"node_modules", "__pycache__", "venv", ".venv", ".git"}
MAX_ENTRIES = 200


def kind_of(folder: str) -> str | None:
    """"model", "adapter" or None for a folder."""
    if os.path.isfile(os.path.join(folder, MODEL_CONFIG)):
        return "model"
    if os.path.isfile(os.path.join(folder, ADAPTER_CONFIG)):
        return "adapter"
    return None


def _scandir(folder: str):
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if not e.name.startswith(".") and e.name not in _SKIP), key=lambda e: e.name)
    except OSError:
        return []


def model_folders(base: str, depth: int = 2) -> list[tuple[str, str]]:
    """Model and adapter folders under `base` (relative paths, kind), a few levels deep."""
    found: list[tuple[str, str]] = []
    frontier = [("", base)]
    for _ in range(depth):
        nxt = []
        for rel, folder in frontier:
            for entry in _scandir(folder):
                try:
                    if not entry.is_dir():
                        continue
                except OSError:
                    continue
                child_rel = f"{rel}{entry.name}"
                kind = kind_of(entry.path)
                if kind:
                    found.append((child_rel, kind))
                else:
                    nxt.append((child_rel + "/", entry.path))
                if len(found) >= MAX_ENTRIES:
                    return found
        frontier = nxt
    return found


def list_folder(base: str, typed: str) -> list[tuple[str, str | None]]:
    """Folders that complete a typed path (`./mod`, `../models/`, `~/`, `/abs/`): (path, kind)."""
    head, _, _ = typed.rpartition("/")
    prefix = head + "/" if "/" in typed else ""
    folder = os.path.expanduser(head) if prefix else ""
    if prefix and not os.path.isabs(folder):
        folder = os.path.join(base, folder)
    if not prefix:
        folder = base
    out = []
    for entry in _scandir(folder):
        try:
            if entry.is_dir():
                out.append((prefix + entry.name, kind_of(entry.path)))
        except OSError:
            continue
        if len(out) >= MAX_ENTRIES:
            break
    return out
