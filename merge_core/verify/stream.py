"""One pass over a folder's tensors: per tensor, its non-finite counts and its norm.

Shards are read in file order through the merge core's memory map, each tensor in chunks
of CHUNK values (converted to float64 so squares of large bf16 values stay finite), and its
pages are released as soon as it is done: memory holds one chunk and the pages of one tensor,
however large the model.
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

CHUNK = 1 << 22


@dataclass
class Stats:
    numel: int
    nan: int = 0
    posinf: int = 0
    neginf: int = 0
    sumsq: float = 0.0  # of the finite values

    @property
    def nonfinite(self) -> int:
        return self.nan + self.posinf + self.neginf

    @property
    def norm(self) -> float:
        return math.sqrt(self.sumsq)


def scan(folder: ModelFolder, on_tensor=None) -> tuple[dict[str, Stats], int, list[Finding]]:
    """Stats of every floating-point tensor, the bytes read, and the shards that failed midway
    (truncated after their header was read). `on_tensor(name)` after each tensor."""
    import torch

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
            s = Stats(info.numel)
            for begin in range(0, info.numel, CHUNK):
                x = flat[begin:begin + CHUNK].to(torch.float64)
                finite = torch.isfinite(x)
                bad = x.numel() - int(finite.sum())
                if bad:
                    s.nan += int(torch.isnan(x).sum())
                    s.posinf += int((x == math.inf).sum())
                    s.neginf += int((x == -math.inf).sum())
                    x = x[finite]
                s.sumsq += float(torch.dot(x, x))
            shard.release(info)
            read += info.nbytes
            stats[info.name] = s
            if on_tensor is not None:
                on_tensor(info.name)
    return stats, read, problems
