"""Which files `mergelint check DIR` looks at: YAML files that look like merge configs."""

from __future__ import annotations

import os
import stat

from merge_core.language import CONFIG_SUFFIXES, HEAD, looks_like_merge_config

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache"}
_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


class NotARegularFile(OSError):
    """A path that is a FIFO, a device, a socket or a directory: never read as a config."""


def open_regular(path: str):
    """`path` opened for binary reading, only if it is a regular file.

    Opening a FIFO waits for a writer, forever if there is none: it is opened without waiting
    (O_NONBLOCK, which a regular file ignores) and refused once fstat says what it is.
    """
    f = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")
    mode = os.fstat(f.fileno()).st_mode
    if not stat.S_ISREG(mode):
        f.close()
        raise NotARegularFile(f"{_KINDS.get(stat.S_IFMT(mode), 'not a regular file')}, not a file to check")
    return f


def is_merge_config_file(path: str) -> bool:
    """A regular file whose first MiB looks like a merge config (never waits on a FIFO)."""
    try:
        with open_regular(path) as f:
            head = f.read(HEAD)
    except OSError:
        return False
    return looks_like_merge_config(head)


def walk(directory: str):
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(CONFIG_SUFFIXES):
                path = os.path.join(root, name)
                if is_merge_config_file(path):  # False for a FIFO or a device: never opened to wait
                    yield path
