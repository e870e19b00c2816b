"""The live progress line on stderr: done/running/failed, the best so far, and an ETA.

On a terminal the line is rewritten in place; elsewhere (a log, CI) one line per finished trial.
"""

from __future__ import annotations

import time


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    def __init__(self, stream, total: int, already: int):
        self.stream, self.total, self.already = stream, total, already
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self.last = ""

    def show(self, done: int, running: int, failed: int, best: dict | None) -> None:
        ran = done - self.already  # this run's finished trials time the rest
        left = self.total - done
        eta = (time.monotonic() - self.started) / ran * left if ran and left else None
        line = (f"sweep: {done}/{self.total} done, {running} running, {failed} failed"
                + (f", best {best['objective']:.6g} (trial {best['trial']})" if best else "")
                + (f", ETA {_duration(eta)}" if eta is not None else ""))
        if line == self.last:
            return
        self.last = line
        self.stream.write(f"\r\x1b[2K{line}" if self.tty else f"{line}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()
