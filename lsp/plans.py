"""The merge plan of a document's text, as `mergelint plan --format json` reports it.

The planner promotes dtypes with torch, which the server never imports
(tests/test_light_imports.py): the plan is made by the command itself, in a child process,
on a thread of its own, so diagnostics never wait on it. One plan per text is kept; an edit
starts a new one and the plan of a text no longer open is dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

PLAN_TIMEOUT = 300  # seconds: the command reads headers only, but a first torch import is slow
KEEP = 8  # plans kept (texts recently asked about)


@dataclass(frozen=True)
class Outcome:
    report: dict | None  # `mergelint plan --format json`'s object
    problem: str | None = None  # why there is none: the command's own message


def _last_message(stderr: str) -> str:
    lines = [line.removeprefix("mergelint: ").strip() for line in stderr.strip().splitlines()]
    return lines[-1] if lines else "no plan"


def plan_text(text: str, base_dir: str | None, children: set | None = None) -> Outcome:
    """`mergelint plan --format json` on `text`, relative model paths read from `base_dir`;
    the child process is in `children` while it runs (shutdown ends it)."""
    with tempfile.TemporaryDirectory(prefix="mergelint-plan-") as tmp:
        path = os.path.join(tmp, "config.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            child = subprocess.Popen([sys.executable, "-m", "mergelint", "plan", "--format", "json", path],
                                     cwd=base_dir or tmp, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        except OSError as e:
            return Outcome(None, f"could not start `mergelint plan`: {e}")
        if children is not None:
            children.add(child)
        try:
            stdout, stderr = child.communicate(timeout=PLAN_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            return Outcome(None, f"took longer than {PLAN_TIMEOUT} s")
        finally:
            if children is not None:
                children.discard(child)
    if child.returncode != 0:
        return Outcome(None, _last_message(stderr).replace(f"{path}: ", "").replace(path, "this config"))
    try:
        return Outcome(json.loads(stdout))
    except json.JSONDecodeError:
        return Outcome(None, "`mergelint plan` printed something that is not JSON")


class Plans:
    def __init__(self):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mergelint-plan")
        self._made: OrderedDict[tuple, Future] = OrderedDict()
        self._lock = threading.Lock()  # requests ask from several worker threads
        self._children: set = set()
        self._newest: dict[str, tuple] = {}  # document URI -> the key of the plan last asked for it

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        for child in list(self._children):
            child.kill()

    def of(self, uri: str, text: str, base_dir: str | None) -> Future:
        """The plan of `text` (a Future of an Outcome), started now unless it is made or under way.
        A plan of an earlier text of the same document that has not started yet is cancelled:
        typing queues no plans of versions already gone."""
        key = (text, base_dir)
        with self._lock:
            earlier = self._made.get(self._newest.get(uri))
            if self._newest.get(uri) != key and earlier is not None:
                earlier.cancel()  # no effect once it runs
            self._newest[uri] = key
            found = self._made.get(key)
            if found is None or found.cancelled():
                found = self._made[key] = self._executor.submit(plan_text, text, base_dir, self._children)
            self._made.move_to_end(key)
            while len(self._made) > KEEP:
                _, old = self._made.popitem(last=False)
                old.cancel()
            return found

    def made(self, text: str, base_dir: str | None) -> Outcome | None:
        """The plan of `text` if it is already made (hover does not wait for one)."""
        with self._lock:
            found = self._made.get((text, base_dir))
        return found.result() if found is not None and found.done() and not found.cancelled() else None
