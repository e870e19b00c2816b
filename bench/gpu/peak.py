"""`mergelint ARGS...` in this process, then its peak GPU memory into a JSON file.

    python bench/gpu/peak.py REPORT.json run CFG OUT --device cuda --seed 0

The merge runs exactly as the console script runs it (mergelint.cli.main); REPORT.json then gets

- peak_gpu_bytes, peak_gpu_reserved_bytes: torch's caching allocator over the whole run
  (max_memory_allocated, max_memory_reserved), tensors only;
- peak_gpu_process_bytes: the device's used memory (cudaMemGetInfo, polled every 20 ms once CUDA
  is up) at its highest, less BENCH_GPU_USED_BEFORE (what the parent saw used before starting
  this process): the CUDA context, cuBLAS's workspace and the allocator's pool, which is what
  `mergelint plan`'s peak_gpu_bytes estimates;

all null without CUDA. The parent times this process as a whole, so the seconds include
starting Python, as mergekit's do.
"""

from __future__ import annotations

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def poll(peak: dict, stop: threading.Event) -> None:
    torch = None
    while not stop.wait(0.02):
        torch = torch or sys.modules.get("torch")
        if torch is not None and torch.cuda.is_initialized():
            free, total = torch.cuda.mem_get_info()
            peak["used"] = max(peak.get("used", 0), total - free)


def main() -> None:
    report, args = sys.argv[1], sys.argv[2:]
    from mergelint.cli import main as mergelint

    peak, stop = {}, threading.Event()
    poller = threading.Thread(target=poll, args=(peak, stop), daemon=True)
    poller.start()
    try:
        mergelint(args)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    stop.set()
    poller.join()
    out = {"exit": code, "peak_gpu_bytes": None, "peak_gpu_reserved_bytes": None, "peak_gpu_process_bytes": None}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        free, total = torch.cuda.mem_get_info()
        used = max(peak.get("used", 0), total - free)
        out.update(peak_gpu_bytes=torch.cuda.max_memory_allocated(),
                   peak_gpu_reserved_bytes=torch.cuda.max_memory_reserved(),
                   peak_gpu_process_bytes=used - int(os.environ.get("BENCH_GPU_USED_BEFORE", "0")))
    with open(report, "w") as f:
        json.dump(out, f)
    sys.exit(code)


if __name__ == "__main__":
    main()
