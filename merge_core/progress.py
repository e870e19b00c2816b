"""Progress reporting for a merge: a one-line bar on a terminal, JSON lines for tools, or nothing."""

from __future__ import annotations

import json
import sys
import time


def _size(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Bar:
    """tensors done/total, bytes written, rate and ETA, redrawn at most 10 times a second."""

    def __init__(self, stream=None, width: int = 28):
        self.stream = stream or sys.stderr
        self.width = width
        self._last = 0.0

    def __call__(self, p) -> None:
        now = time.monotonic()
        final = p.done == p.total
        if not final and now - self._last < 0.1:
            return
        self._last = now
        frac = p.bytes_done / p.bytes_total if p.bytes_total else (p.done / p.total if p.total else 1.0)
        elapsed = max(now - p.started, 1e-9)
        rate = p.bytes_done / elapsed
        eta = (p.bytes_total - p.bytes_done) / rate if rate > 0 else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = (f"\rmerging [{bar}] {p.done}/{p.total} tensors  {_size(p.bytes_done)}/{_size(p.bytes_total)}"
                f"  {_size(rate)}/s  ETA {_clock(eta)} ")
        self.stream.write(line)
        if final:
            self.stream.write(f"\n")
        self.stream.flush()


class JsonLines:
    """One JSON object per finished tensor: done, total, bytes_done, bytes_total, elapsed_s."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def __call__(self, p) -> None:
        self.stream.write(json.dumps({
            "event": "progress", "done": p.done, "total": p.total, "bytes_done": p.bytes_done,
            "bytes_total": p.bytes_total, "elapsed_s": round(time.monotonic() - p.started, 3),
        }) + "\n")
        self.stream.flush()
