"""DIR/results.jsonl (one line per finished trial, appended as it finishes) and DIR/best.yml.

Lines are only ever appended, each flushed to disk before the next trial is told to Optuna, so a
sweep that is killed keeps every finished trial and `--resume` reads them back unchanged. The one
exception is a line torn by the kill (no newline at its end): resume cuts it off, and its trial runs again.
"""

from __future__ import annotations

import json
import math
import os

from .errors import SweepError

RESULTS = "results.jsonl"
BEST = "best.yml"


class Results:
    def __init__(self, folder: str, resume: bool, direction: str = "minimize"):
        self.folder, self.direction = folder, direction
        self.path = os.path.join(folder, RESULTS)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise SweepError(f"--out {folder}: cannot create it: {e.strerror}") from None
        self.finished = self._read() if os.path.exists(self.path) else []
        if self.finished and not resume:
            raise SweepError(f"{self.path} already holds {len(self.finished)} finished trial(s): pass --resume to "
                             "run only the missing ones, or choose another --out")

    def _read(self) -> list[dict]:
        with open(self.path, "rb") as f:
            data = f.read()
        whole = data[:data.rfind(b"\n") + 1]
        if len(whole) != len(data):  # the last line was torn by a kill: its trial runs again
            with open(self.path, "r+b") as f:
                f.truncate(len(whole))
        records = []
        for number, line in enumerate(whole.decode("utf-8").splitlines(), 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SweepError(f"{self.path}:{number}: not a trial's JSON line ({e.msg}); "
                                 "results.jsonl is written by mergelint sweep only") from None
        return records

    def append(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, allow_nan=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.finished.append(record)

    def best(self) -> dict | None:
        scored = [r for r in self.finished if isinstance(r.get("objective"), (int, float))
                  and math.isfinite(r["objective"])]
        if not scored:
            return None
        sign = 1 if self.direction == "minimize" else -1
        return min(scored, key=lambda r: (sign * r["objective"], r["trial"]))  # a tie: the earlier trial

    def write_best(self, record: dict) -> None:
        """best.yml: the best trial's config as written for it (round-trip: the user's comments kept)."""
        path = os.path.join(self.folder, BEST)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(record["config"])
        os.replace(tmp, path)
