"""Which files `mergelint check DIR` looks at: YAML files that look like merge configs."""

from __future__ import annotations

import os
import re

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
# A top-level key that only mergekit configs have (mergekit-moe included, so it gets wrong-tool).
_SIGNATURE = re.compile(rb"^(merge_method|slices|experts)\s*:", re.MULTILINE)


def looks_like_merge_config(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 20)
    except OSError:
        return False
    return bool(_SIGNATURE.search(head))


def walk(directory: str):
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".yml", ".yaml")):
                path = os.path.join(root, name)
                if looks_like_merge_config(path):
                    yield path
