"""Reading the small files of a model, cached per file by (path, size, mtime_ns).

Every reader checks that the path is a regular file before opening it (a FIFO
named config.json would block forever), bounds what it reads, and turns every
failure into a FileProblem whose message says what is wrong. A cached result,
good or bad, is reused while the file's size and mtime stay the same, so a
re-check costs one stat per file.
"""

from __future__ import annotations

import errno
import json
import os
import stat

from .safetensors import HeaderError, read_header

MAX_JSON = 32 * 1024 * 1024  # an index.json for a very large model is a few MB
_MAX_ENTRIES = 8192

_CACHE: dict[tuple[str, str], tuple[tuple[int, int], object, str | None]] = {}


class FileProblem(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def os_problem(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "a symbolic link loop"
    if e.errno == errno.ENOENT:
        return "missing (a dangling symbolic link?)" if e.filename and os.path.islink(e.filename) else "missing"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.ENAMETOOLONG:
        return "path too long"
    return e.strerror or str(e)


def stat_regular(path: str) -> os.stat_result:
    """os.stat, raising FileProblem for anything that is not a readable regular file."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise FileProblem(os_problem(e)) from None
    except ValueError:  # embedded NUL and the like
        raise FileProblem("invalid path") from None
    if stat.S_ISDIR(st.st_mode):
        raise FileProblem("a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise FileProblem("not a regular file")
    return st


def _cached(kind: str, path: str, loader):
    st = stat_regular(path)
    key = (st.st_size, st.st_mtime_ns)
    hit = _CACHE.get((kind, path))
    if hit is not None and hit[0] == key:
        if hit[2] is not None:
            raise FileProblem(hit[2])
        return hit[1]
    value, problem = None, None
    try:
        value = loader(path, st.st_size)
    except FileProblem as e:
        problem = e.message
    except HeaderError as e:
        problem = str(e)
    except OSError as e:
        problem = os_problem(e)
    if len(_CACHE) >= _MAX_ENTRIES:
        _CACHE.clear()
    _CACHE[(kind, path)] = (key, value, problem)
    if problem is not None:
        raise FileProblem(problem)
    return value


def _load_json(path: str, size: int) -> dict:
    if size > MAX_JSON:
        raise FileProblem(f"{size / 1e6:.0f} MB is too large for a metadata file")
    with open(path, "rb") as f:
        data = f.read(MAX_JSON + 1)
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileProblem("not UTF-8 text") from None
    except ValueError as e:
        raise FileProblem(f"not valid JSON ({str(e)[:80]})") from None
    if not isinstance(value, dict):
        raise FileProblem(f"not a JSON object (a {type(value).__name__})")
    return value


def read_json(path: str) -> dict:
    """A JSON object file (config.json, adapter_config.json, an index). Raises FileProblem."""
    return _cached("json", path, _load_json)


def read_safetensors(path: str):
    """(tensors, metadata) from a safetensors header. Raises FileProblem."""
    return _cached("safetensors", path, lambda p, _size: read_header(p))


def clear() -> None:
    _CACHE.clear()
