"""Per tensor, its non-finite counts and its norm: measured over a folder's tensors in one pass
(`mergelint verify DIR`), or by `Watch` over each result as `mergelint run` produces it.

Shards are read in file order through the merge core's memory map, and each tensor's pages are
released as soon as it is done: memory holds one chunk and the pages of one tensor, however
large the model. A tensor is measured in chunks of CHUNK values (converted to float64 so
squares of large bf16 values stay finite), by torch reductions on the device it is on.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..checkpoint import FLOATING
from ..errors import ModelError
from .check import Finding
from .folder import ModelFolder
from .unreadable import UNREADABLE_FILE

CHUNK = 1 << 16  # 512 kB of float64: below the engine's mmap threshold, so the heap reuses it


@dataclass
class Stats:
    numel: int
    nan: int = 0
    posinf: int = 0
    neginf: int = 0
    sumsq: float = 0.0  # of the finite values
    overflow: int = 0  # finite values of the computed result past the output dtype's range (run only)
    computed_dtype: str = ""  # the dtype of that result, when overflow

    @property
    def nonfinite(self) -> int:
        return self.nan + self.posinf + self.neginf

    @property
    def norm(self) -> float:
        return math.sqrt(self.sumsq)


def scan(folder: ModelFolder, on_tensor=None) -> tuple[dict[str, Stats], int, list[Finding]]:
    """Stats of every floating-point tensor, the bytes read, and the shards that failed midway
    (truncated after their header was read). `on_tensor(name)` after each tensor."""
    stats: dict[str, Stats] = {}
    read = 0
    problems: list[Finding] = []
    for shard in folder.shards:
        for info in sorted(shard.tensors.values(), key=lambda i: i.start):
            if folder.tensors.get(info.name) is not info or info.dtype not in FLOATING:
                continue
            try:
                flat = shard.view(info).reshape(-1)
            except ModelError as e:
                name = os.path.basename(shard.path)
                problems.append(Finding(UNREADABLE_FILE, name, f"{name}: {str(e).removeprefix(shard.path + ': ')}"))
                folder.complete = False
                break
            s = measure(flat)
            shard.release(info)
            read += info.nbytes
            stats[info.name] = s
            if on_tensor is not None:
                on_tensor(info.name)
    return stats, read, problems


def measure(flat) -> Stats:
    """The counts and the sum of squares of a one-dimensional floating-point tensor: one reduction
    per chunk, and a second pass only over a tensor that holds NaN or Inf (its sum is not finite)."""
    import torch

    s = Stats(flat.numel())
    total = 0.0
    for begin in range(0, s.numel, CHUNK):
        x = flat[begin:begin + CHUNK].to(torch.float64)
        total = total + torch.dot(x, x)  # stays on the tensor's device: one synchronisation, below
        del x  # before the next chunk is made: one chunk alive
    s.sumsq = float(total)
    if math.isfinite(s.sumsq):
        return s
    s.sumsq = 0.0
    for begin in range(0, s.numel, CHUNK):
        x = flat[begin:begin + CHUNK].to(torch.float64)
        finite = torch.isfinite(x)
        s.nan += int(torch.isnan(x).sum())
        s.posinf += int((x == math.inf).sum())
        s.neginf += int((x == -math.inf).sum())
        x = x[finite]
        s.sumsq += float(torch.dot(x, x))
        del x, finite
    return s


class Watch:
    """`mergelint run`'s verification pass: each result measured as the engine produces it, on its
    device and while it is in cache, so the written files need not be read again. Called by the
    engine with the result as computed and as cast to the output dtype (the same tensor when no
    cast); `stats` is what `verify(..., stats=)` takes."""

    def __init__(self):
        self.stats: dict[str, Stats] = {}

    def __call__(self, name: str, computed, result) -> None:
        if not result.is_floating_point():
            return
        s = measure(result.reshape(-1))
        if (s.posinf or s.neginf) and computed is not result and computed.is_floating_point():
            # Inf after the cast: count the finite values the cast pushed past the dtype's range.
            import torch

            limit = torch.finfo(result.dtype).max
            s.overflow = int((torch.isfinite(computed) & (computed.abs() > limit)).sum())
            s.computed_dtype = str(computed.dtype).removeprefix("torch.")
        self.stats[name] = s
