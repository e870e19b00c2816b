"""Before `run` reads a weight: will the merge fit? The plan's totals against what the machine has.

Memory is the kernel's MemAvailable (what can be had without swapping) or `--max-memory`; disk
is the free space of the filesystem OUT will be on (the output is assembled beside OUT) or
`--max-disk`; GPU memory is CUDA's free memory on the device. A merge that does not fit is
refused with the figure, what was found, and what would make it fit.
"""

from __future__ import annotations

import os
import shutil

from .errors import MergeError
from .estimate import Totals


class PreflightError(MergeError):
    """The merge would not fit; nothing was read or written."""


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def free_disk(out: str) -> int | None:
    """Free bytes where OUT will be (its nearest existing folder)."""
    folder = os.path.abspath(out)
    while not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def free_gpu(device: str) -> int | None:
    import torch

    if not torch.cuda.is_available():
        return None  # the engine says so, with its own message
    free, _total = torch.cuda.mem_get_info(torch.device(device))
    return free


def problems(totals: Totals, *, out: str, device: str, models: int, max_memory: int | None = None,
             max_disk: int | None = None) -> list[str]:
    """What will not fit, each naming the figure, what was found and what would make it fit."""
    found = []
    memory = max_memory if max_memory is not None else available_memory()
    source = "--max-memory" if max_memory is not None else "available"
    fewer = f"merge fewer of the {models} models in one step (merge some, then merge the result)" \
        if models > 2 else "close other programs"
    if memory is not None and totals.peak_memory_bytes is not None and totals.peak_memory_bytes > memory:
        found.append(f"the merge needs about {_gb(totals.peak_memory_bytes)} of memory at its peak and "
                     f"{_gb(memory)} is {source}; to make it fit: {fewer}, or free "
                     f"{_gb(totals.peak_memory_bytes - memory)} of memory")
    disk = max_disk if max_disk is not None else free_disk(out)
    if disk is not None and totals.disk_bytes is not None and totals.disk_bytes > disk:
        source = "--max-disk" if max_disk is not None else f"free at {out}"
        found.append(f"the output needs {_gb(totals.disk_bytes)} of disk and {_gb(disk)} is {source}; "
                     f"to make it fit: free {_gb(totals.disk_bytes - disk)} there, or write OUT to another disk "
                     "(a smaller --out-shard-size does not reduce the total)")
    if device.startswith("cuda") and totals.peak_gpu_bytes:
        gpu = free_gpu(device)
        if gpu is not None and totals.peak_gpu_bytes > gpu:
            found.append(f"the merge needs about {_gb(totals.peak_gpu_bytes)} of GPU memory and {_gb(gpu)} is free "
                         f"on {device}; to make it fit: --device cpu, or {fewer}")
    return found


def check(totals: Totals, **kwargs) -> None:
    found = problems(totals, **kwargs)
    if found:
        raise PreflightError("preflight: " + "; ".join(found) + " (nothing was written; --no-preflight skips "
                             "this check)")
