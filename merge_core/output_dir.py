"""Output safety: what OUT may be, how it is published, what an interrupt leaves.

Every writer goes through `Output`:

- `Output(out, inputs, force)` checks OUT before any model is read. OUT may not be, contain or
  lie inside an input (resolved through symbolic links), and may not be or contain the current
  folder, the home folder or `/`. An existing OUT must be a folder; `force` replaces it only
  when it is empty or an earlier mergelint output that holds nothing else.
- An earlier output is recognised by `.mergelint-output`, a JSON marker (`{"tool":
  "mergelint", "files": [...]}`) written into every folder `run` makes; a file the marker
  does not list was put there by someone else, and the folder is refused.
- `create()` makes `.OUT.partial-XXXXXXXX` beside OUT (ordinary permissions: 0777 minus the
  umask), marked from the start so that a killed run's folder is recognised and removed by the
  next run into the same OUT (`clean_stale`; only folders of that name pattern holding the
  marker of a run that is gone, never anything else).
- `publish()` swaps the complete folder into place with renameat2(RENAME_EXCHANGE) and removes
  the old one; SIGINT and SIGTERM wait until both are done, so an interrupt leaves either the
  previous OUT or the new one. Where the exchange is unavailable the old OUT is renamed aside
  to `.OUT.old-XXXXXXXX` (marked, so a later run removes it if this one is killed).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import signal
from dataclasses import dataclass, field
from typing import Callable

from .errors import MergeError

MARKER = ".mergelint-output"
SHOWN = 5  # entries of a refused folder named in the message


class OutputRefused(MergeError):
    """OUT cannot be used (exit 2: unusable input)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM, with what it left in OUT."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _read_marker(folder: str) -> dict | None:
    try:
        with open(os.path.join(folder, MARKER), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("tool") == "mergelint" else None


def complete_output(folder: str) -> dict | None:
    """The marker of a published output whose files are all still there, else None."""
    marker = _read_marker(folder)
    if marker is None or marker.get("state") != "complete":
        return None
    files = marker.get("files")
    if not isinstance(files, list) or not all(isinstance(n, str) and os.path.isfile(os.path.join(folder, n))
                                              for n in files):
        return None
    return marker


def _write_marker(folder: str, **fields) -> None:
    with open(os.path.join(folder, MARKER), "w", encoding="utf-8") as f:
        json.dump({"tool": "mergelint", "pid": os.getpid(), **fields}, f, indent=2)
        f.write("\n")


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _listing(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


@dataclass
class Output:
    out: str  # as the user wrote it, for messages
    inputs: list[tuple[str, str]]  # (label, path) of every model, adapter and tokenizer source
    force: bool = False
    path: str = field(init=False)  # OUT with its parent folder resolved through symbolic links
    existed: bool = field(init=False)
    partial: str | None = field(init=False, default=None)
    published: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        absolute = os.path.abspath(self.out)
        self.path = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))
        real = os.path.realpath(absolute)
        for what, folder in (("/", os.sep), ("the home folder", os.path.expanduser("~")),
                             ("the current folder", os.getcwd())):
            folder = os.path.realpath(folder)
            if within(folder, real):
                how = "is" if folder == real else "contains"
                raise OutputRefused(f"{self.out}: OUT {how} {what} ({folder}); --force would delete it. "
                                    "Write the merge to a new folder, e.g. ./merged")
        for label, given in self.inputs:
            inp = os.path.realpath(given)
            if within(real, inp) or within(inp, real):
                how = "is" if real == inp else ("lies inside" if within(real, inp) else "contains")
                raise OutputRefused(
                    f"{self.out}: OUT {how} the input {label} ({inp}); the merge would replace or change it. "
                    "Write the merge to a new folder outside every input")
        self.existed = os.path.lexists(absolute)
        if self.existed:
            self._check_existing(absolute)
        else:
            self._check_parent()

    def _check_existing(self, absolute: str) -> None:
        if os.path.islink(absolute) or not os.path.isdir(absolute):
            kind = "a symbolic link" if os.path.islink(absolute) else "not a folder"
            raise OutputRefused(f"{self.out}: OUT exists and is {kind}; name a folder (new, empty, or an earlier "
                                "mergelint output with --force)")
        if not self.force:
            raise OutputRefused(f"{self.out} already exists (pass --force to replace it; --force replaces only an "
                                "empty folder or an earlier mergelint output)")
        try:
            names = os.listdir(absolute)
        except OSError as e:
            raise OutputRefused(f"{self.out}: cannot read OUT: {e.strerror or e}") from None
        if not names:
            return
        marker = _read_marker(absolute)
        if marker is None:
            raise OutputRefused(
                f"{self.out}: not an earlier mergelint output (no {MARKER}) and not empty: it holds "
                f"{_listing(names)}. --force replaces only an empty folder or an earlier mergelint output; "
                "choose another OUT")
        foreign = [n for n in names if n != MARKER and n not in set(marker.get("files") or ())]
        if foreign:
            raise OutputRefused(
                f"{self.out}: an earlier mergelint output, but it also holds {_listing(foreign)}, which mergelint "
                "did not write; move them out or choose another OUT")
        if not os.access(os.path.dirname(self.path), os.W_OK | os.X_OK):
            raise OutputRefused(f"{os.path.dirname(self.path)}: permission denied: cannot replace {self.out} there")

    def _check_parent(self) -> None:
        folder = os.path.dirname(self.path)
        while not os.path.lexists(folder):
            folder = os.path.dirname(folder)
        if not os.path.isdir(folder):
            raise OutputRefused(f"{self.out}: {folder} is not a folder, so OUT cannot be made under it")
        if not os.access(folder, os.W_OK | os.X_OK):
            why = "read-only file system" if _read_only(folder) else "permission denied"
            raise OutputRefused(f"{folder}: {why}: cannot create {self.out} there")

    # -- the partial folder ------------------------------------------------------------------

    def _sibling(self, kind: str) -> str:
        return os.path.join(os.path.dirname(self.path), f".{os.path.basename(self.path)}.{kind}-{secrets.token_hex(4)}")

    def clean_stale(self) -> list[str]:
        """Remove the partial and set-aside folders a killed run into this OUT left; notes for the user."""
        parent, name = os.path.split(self.path)
        pattern = re.compile(rf"\.{re.escape(name)}\.(partial|old)-[0-9a-f]{{8}}")
        notes = []
        try:
            names = os.listdir(parent)
        except OSError:
            return notes
        for n in sorted(names):
            folder = os.path.join(parent, n)
            if not pattern.fullmatch(n) or os.path.islink(folder) or not os.path.isdir(folder):
                continue
            marker = _read_marker(folder)
            if marker is None:
                notes.append(f"{folder} looks like a leftover of a run but has no {MARKER}: left alone")
            elif _alive(marker.get("pid")):
                notes.append(f"{folder} belongs to a run still going (process {marker['pid']}): left alone")
            else:
                with deferred_signals(self.interrupted):
                    shutil.rmtree(folder, ignore_errors=True)
                notes.append(f"removed {folder}, left by a run that was killed")
        return notes

    def create(self) -> str:
        parent = os.path.dirname(self.path)
        try:
            os.makedirs(parent, exist_ok=True)
            while True:
                folder = self._sibling("partial")
                try:
                    os.mkdir(folder)  # 0777 minus the umask, as any folder the user makes
                    break
                except FileExistsError:
                    continue
            self.partial = folder
            _write_marker(folder, state="partial")
        except OSError as e:
            raise OutputRefused(f"{e.filename or parent}: {e.strerror or e}: cannot create {self.out} there") from None
        return folder

    def discard(self) -> None:
        if self.partial is not None:
            with deferred_signals(self.interrupted):
                shutil.rmtree(self.partial, ignore_errors=True)
            self.partial = None

    # -- publishing --------------------------------------------------------------------------

    def publish(self, version: str, **fields) -> None:
        """Move the complete partial folder to OUT (`fields` go into its marker); an interrupt
        waits until OUT is whole."""
        folder = self.partial
        if os.path.lexists(self.path):  # checked again: OUT may have changed while merging
            if not self.existed:
                raise OutputRefused(f"{self.out} appeared while merging; the merge is not published")
            self._check_existing(self.path)
        files = sorted(n for n in os.listdir(folder) if n != MARKER)
        _write_marker(folder, state="complete", version=version, files=files, **fields)
        with deferred_signals(self.interrupted):
            if not os.path.lexists(self.path):
                os.rename(folder, self.path)
            elif not os.listdir(self.path):
                os.rmdir(self.path)
                os.rename(folder, self.path)
            elif _exchange(folder, self.path):
                shutil.rmtree(folder, ignore_errors=True)  # now the previous OUT
            else:
                aside = self._sibling("old")
                os.rename(self.path, aside)
                try:
                    os.rename(folder, self.path)
                except OSError:
                    os.rename(aside, self.path)
                    raise
                shutil.rmtree(aside, ignore_errors=True)
            self.partial = None
            self.published = True
            _sync(os.path.dirname(self.path))

    def left_as_it_was(self) -> str:
        return f"{self.out} was left as it was" if self.existed else f"nothing was written to {self.out}"

    def interrupted(self) -> Interrupted:
        if self.published:
            return Interrupted(f"interrupted after publishing; the new merge is in place in {self.out}")
        return Interrupted(f"interrupted; {self.left_as_it_was()}")


def _read_only(folder: str) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: str, b: str) -> bool:
    """Swap two folders atomically (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), b)


def _sync(folder: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def deferred_signals(interrupted: Callable[[], Interrupted]):
    """Hold SIGINT and SIGTERM until the block is over, then raise interrupted() for them
    (nothing more when the block itself fails: that error is on its way already)."""
    caught: list[int] = []
    previous: dict = {}
    try:
        for s in (signal.SIGINT, signal.SIGTERM):
            previous[s] = signal.signal(s, lambda signum, frame: caught.append(signum))
    except ValueError:  # not the main thread: signals reach the main thread, not this block
        yield
        return
    except BaseException:  # a signal before both were held: the block has not begun
        _restore(previous)
        raise
    try:
        yield
    finally:
        _restore(previous)
    if caught:
        raise interrupted()


def _restore(handlers: dict) -> None:
    for s, handler in handlers.items():
        signal.signal(s, handler)
