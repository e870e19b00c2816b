"""Benchmark `mergelint run --device cuda` against itself on the CPU and `mergekit-yaml --cuda`.

Not a test. bench/gpu/run.sh installs what the machine lacks, then runs this. It builds
bench_merge.py's random Llama models (drawn on the GPU): a base, two fine-tunes and a LoRA at
TinyLlama-1.1B's shape, and, where time and disk allow, a base and a fine-tune at ~3B. For each
case it takes `mergelint plan --device cuda --format json`'s totals, then runs, alternating and
--repeat times each, as child processes on warm page cache:

  mergelint  bench/gpu/peak.py run CFG OUT --device cuda --seed 0   (peak GPU memory in-process)
  mergekit   python -m mergekit.scripts.run_yaml CFG OUT --cuda --random-seed 0
  mergelint_cpu  the same as mergelint with --device cpu (1.1B only)

and compares the last outputs (max |difference| over every tensor). The floor, measured in the
same run over the ties inputs: plain 64 MB reads into pinned memory, and the copy of each to the
GPU, apart. Results go to --out after every case, so a run cut short keeps what it measured.

    bench/gpu/run.sh                               # on the GPU machine: bench/results/gpu.json
    bench/gpu/run.sh --device cpu --small --out /tmp/gpu-cpu-small.json   # the same steps, tiny models, CPU

--device cpu --small: the same steps on tiny models ("mode": "cpu-small"): "mergekit --cuda" is
mergekit on the CPU, "h2d" is a copy into another CPU tensor, and no GPU memory is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path[:0] = [BENCH, ROOT]

from bench_merge import SIZES, build_models, child_usage, configs, input_bytes, llama_tensors  # noqa: E402
from bench_plan import evict  # noqa: E402

GEOMETRY = {
    "1b": SIZES["1b"],
    # ~3.0B: Llama-3.2-3B's layer shape (hidden 3072, 28 layers, GQA 24/8) with a 32k vocabulary, untied
    "3b": dict(hidden=3072, intermediate=8192, layers=28, heads=24, kv_heads=8, vocab=32000),
    # --small: the same steps on models that merge in well under a second on a CPU
    "tiny": dict(hidden=256, intermediate=704, layers=4, heads=4, kv_heads=2, vocab=2048),
    "tiny-big": dict(hidden=384, intermediate=1024, layers=6, heads=6, kv_heads=2, vocab=2048),
}
CASES = ["linear", "ties", "dare_ties", "slerp", "lora"]
METHOD = {"lora": "base+lora"}
NOTES = [
    "*_s: wall seconds of the child process (Python start included), the fastest of `repeat` alternating runs, "
    "inputs in the page cache",
    "read_gb_per_s: the plan's read_bytes over mergelint_s",
    "peak_gpu_bytes / peak_gpu_reserved_bytes: torch.cuda.max_memory_allocated / max_memory_reserved in mergelint's "
    "process; peak_gpu_process_bytes: the device's used memory at its highest during the run less before it (CUDA "
    "context, workspaces, the allocator's pool; bench/gpu/peak.py); plan_peak_gpu_bytes: `mergelint plan --device "
    "cuda --format json` totals; peak_gpu_vs_plan: peak_gpu_process_bytes / plan_peak_gpu_bytes - 1 (target: within 25%)",
    "dare_ties draws its masks from the math device's generator: on CUDA it need not equal the CPU run",
]
CPU_NOTE = "cpu-small: tiny models; 'mergekit' runs without --cuda, h2d is a copy into another CPU tensor, " \
           "no GPU memory is measured (plan_peak_gpu_bytes is still the plan's estimate for --device cuda)"


def params(geo: dict) -> int:
    total = 0
    for _, shape in llama_tensors(geo):
        n = 1
        for d in shape:
            n *= d
        total += n
    return total


def disk_floor(files: list[str], device: str) -> dict:
    """Read `files` in 64 MB pieces into one pinned buffer and copy each piece to `device`:
    seconds reading and seconds copying, apart (on the CPU the copy goes to another CPU tensor)."""
    import torch

    cuda = device != "cpu"
    chunk = 64 << 20
    host = torch.empty(chunk, dtype=torch.uint8, pin_memory=cuda)
    target = torch.empty(chunk, dtype=torch.uint8, device=device)
    view = memoryview(host.numpy())
    read_s = copy_s = 0.0
    total = 0
    for path in files:
        with open(path, "rb", buffering=0) as f:
            while True:
                t = time.perf_counter()
                n = f.readinto(view)
                read_s += time.perf_counter() - t
                if not n:
                    break
                t = time.perf_counter()
                target[:n].copy_(host[:n])
                if cuda:
                    torch.cuda.synchronize()
                copy_s += time.perf_counter() - t
                total += n
    return {"bytes": total, "read_s": read_s, "copy_s": copy_s}


def floor(models: dict, device: str) -> dict:
    """Warm (page cache, as the merges read) over the ties inputs; cold (evicted) over the base."""
    files = input_bytes("ties", models)
    disk_floor(files, device)  # warm-up: page cache, pinned buffer, CUDA context
    warm = disk_floor(files, device)
    base = [f for f in files if os.path.dirname(f) == models["base"]]
    evict([models["base"]])
    cold = disk_floor(base, device)  # which also puts the base back in the page cache
    return {
        "bytes": warm["bytes"],
        "page_cache": "warm, as in the merges",
        "disk_read_gb_per_s": round(warm["bytes"] / warm["read_s"] / 1e9, 2),
        "h2d_gb_per_s": round(warm["bytes"] / warm["copy_s"] / 1e9, 2),
        "read_then_h2d_gb_per_s": round(warm["bytes"] / (warm["read_s"] + warm["copy_s"]) / 1e9, 2),
        "cold_disk_read_gb_per_s": round(cold["bytes"] / cold["read_s"] / 1e9, 2),
        "cold_bytes": cold["bytes"],
    }


def plan_totals(cfg: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-m", "mergelint", "plan", cfg, "--device", "cuda", "--format", "json"],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout)["totals"]


def commands(cfg: str, folder: str, device: str, cpu_too: bool) -> dict[str, list[str]]:
    """Each tool's command; OUT and, for mergelint, peak.py's report path are appended per run."""
    cache = os.path.join(folder, "lora-cache")
    mergekit = [sys.executable, "-m", "mergekit.scripts.run_yaml", cfg, "OUT", "--random-seed", "0", "--quiet",
                "--lora-merge-cache", cache] + (["--cuda"] if device != "cpu" else [])
    tools = {"mergelint": device, "mergekit": None}
    if cpu_too:
        tools["mergelint_cpu"] = "cpu"
    return {tool: mergekit if dev is None else
            [sys.executable, os.path.join(HERE, "peak.py"), "REPORT", "run", cfg, "OUT", "--seed", "0",
             "--device", dev] for tool, dev in tools.items()}


PEAKS = ("peak_gpu_bytes", "peak_gpu_reserved_bytes", "peak_gpu_process_bytes")


def gpu_used() -> int:
    """The device's used memory now (this process's context included), 0 without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return 0
    free, total = torch.cuda.mem_get_info()
    return total - free


def run_tools(tools: dict, folder: str, repeat: int, env: dict) -> dict:
    """Alternating runs; each tool's wall seconds, peak RSS, peak GPU memory and its last output."""
    got = {t: {"wall_s": [], "peak_rss_mb": 0, **{k: None for k in PEAKS}} for t in tools}
    for _ in range(repeat):
        for tool, cmd in tools.items():
            r = got[tool]
            if r.get("error"):
                continue
            out, report = os.path.join(folder, f"out-{tool}"), os.path.join(folder, f"peak-{tool}.json")
            for path in (out, os.path.join(folder, "lora-cache")):
                shutil.rmtree(path, ignore_errors=True)
            before = {"BENCH_GPU_USED_BEFORE": str(gpu_used())} if "REPORT" in cmd else {}
            wall, info = child_usage([{"OUT": out, "REPORT": report}.get(a, a) for a in cmd], {**env, **before})
            if info["exit"] != 0:
                r["error"] = info["stderr"].strip().splitlines()[-3:]
                continue
            r["wall_s"].append(round(wall, 2))
            r["peak_rss_mb"] = max(r["peak_rss_mb"], round(info["rss_kb"] / 1024))
            r["out"] = out
            if os.path.exists(report):
                with open(report) as f:
                    peak = json.load(f)
                for key in PEAKS:
                    if peak[key] is not None:
                        r[key] = max(r[key] or 0, peak[key])
    return got


def max_abs_diff(ours: str | None, theirs: str | None, device: str) -> float | str | None:
    """Largest |a - b| over every tensor of two outputs (float32 math); a string if their tensors differ."""
    if not ours or not theirs:
        return None
    a, b = tensor_files(ours), tensor_files(theirs)
    if set(a) != set(b):
        return f"different tensors: {len(set(a) ^ set(b))} in one output only"
    worst = 0.0
    for name in sorted(a):
        diff = tensor_diff(name, a[name], b[name], device)
        if isinstance(diff, str):
            return diff
        worst = max(worst, diff)
    free_gpu(device)
    return worst


def tensor_files(folder: str) -> dict[str, str]:
    import glob

    from safetensors import safe_open

    names = {}
    for path in glob.glob(os.path.join(folder, "*.safetensors")):
        with safe_open(path, "pt") as f:
            names.update(dict.fromkeys(f.keys(), path))
    return names


def tensor_diff(name: str, path_a: str, path_b: str, device: str) -> float | str:
    from safetensors import safe_open

    with safe_open(path_a, "pt", device=device) as fa, safe_open(path_b, "pt", device=device) as fb:
        x, y = fa.get_tensor(name), fb.get_tensor(name)
    if x.shape != y.shape:
        return f"{name}: shape {tuple(x.shape)} against {tuple(y.shape)}"
    return (x.float() - y.float()).abs().max().item()


def free_gpu(device: str) -> None:
    """Hand this process's cached GPU memory back, so that only its context stays beside the runs."""
    if device != "cpu":
        import gc

        import torch

        gc.collect()
        torch.cuda.empty_cache()


def case_row(case: str, size: str, text: str, folder: str, args, env: dict) -> dict:
    cfg = os.path.join(folder, f"{case}.yml")
    with open(cfg, "w") as f:
        f.write(text)
    plan = plan_totals(cfg, env)
    cpu_too = size in ("1b", "tiny")
    start = time.perf_counter()
    got = run_tools(commands(cfg, folder, args.device, cpu_too), folder, args.repeat, env)
    ml, mk, cpu = got["mergelint"], got["mergekit"], got.get("mergelint_cpu", {})
    best = min(ml["wall_s"]) if ml["wall_s"] else None
    planned = plan.get("peak_gpu_bytes")
    row = {
        "method": METHOD.get(case, case), "size": size, "params": params(GEOMETRY[size]),
        "mergelint_s": best, "mergekit_s": min(mk["wall_s"], default=None),
        "mergelint_cpu_s": min(cpu.get("wall_s") or [], default=None),
        "max_abs_diff_vs_cpu": max_abs_diff(ml.get("out"), cpu.get("out"), args.device),
        "max_abs_diff_vs_mergekit": max_abs_diff(ml.get("out"), mk.get("out"), args.device),
        "read_gb": round(plan["read_bytes"] / 1e9, 3) if "read_bytes" in plan else None,
        "read_gb_per_s": round(plan["read_bytes"] / best / 1e9, 3) if best and "read_bytes" in plan else None,
        **{k: ml[k] for k in PEAKS}, "plan_peak_gpu_bytes": planned,
        "peak_gpu_vs_plan": round(ml["peak_gpu_process_bytes"] / planned - 1, 3)
        if ml["peak_gpu_process_bytes"] and planned else None,
        "runs_s": {tool: r["wall_s"] for tool, r in got.items()},
        "peak_rss_mb": {tool: r["peak_rss_mb"] for tool, r in got.items()},
        "plan": {k: plan.get(k) for k in ("read_bytes", "write_bytes", "peak_memory_bytes", "seconds")},
        "case_s": round(time.perf_counter() - start, 1),
    }
    errors = {tool: r["error"] for tool, r in got.items() if r.get("error")}
    if errors or "error" in plan:
        row["errors"] = {**errors, **({"plan": plan["error"]} if "error" in plan else {})}
    for r in got.values():
        if r.get("out"):
            shutil.rmtree(r["out"], ignore_errors=True)
    return row


def header(args) -> dict:
    import torch

    cuda = args.device != "cpu"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT).stdout.strip() or None
    except OSError:
        commit = None
    return {
        "mode": "cuda" if cuda else ("cpu-small" if args.small else "cpu"),
        "device": torch.cuda.get_device_name(args.device) if cuda else f"cpu ({platform.machine()})",
        "torch": torch.__version__, "python": platform.python_version(), "cpus": os.cpu_count(),
        "commit": commit, "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "repeat": args.repeat, "notes": NOTES + ([] if cuda else [CPU_NOTE]), "cases": [], "floor": None,
        "skipped": [],
    }


def save(result: dict, path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(path + ".tmp", path)


def big_case_fits(folder: str, size: str, args, start: float, case_s: float) -> str | None:
    """Why the ~3B case is skipped (disk: two inputs and two outputs; time: scaled from 1.1B), or None."""
    scale = params(GEOMETRY[size]) / params(GEOMETRY["tiny" if args.small else "1b"])
    need = 4.4 * params(GEOMETRY[size]) * 2
    free = shutil.disk_usage(folder).free
    if free < need:
        return f"{size}: needs about {need / 1e9:.0f} GB of disk, {free / 1e9:.0f} GB free"
    left = args.budget_s - (time.perf_counter() - start)
    guess = scale * (case_s + 2 * args.build_s)  # its runs, and building two models
    if args.budget_s and left < guess:
        return f"{size}: about {guess:.0f} s expected, {left:.0f} s of the budget left"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda", help="cuda (the benchmark) or cpu (to try the steps)")
    ap.add_argument("--small", action="store_true", help="tiny models: the same steps in about a minute")
    ap.add_argument("--out", default=os.path.join(BENCH, "results", "gpu.json"))
    ap.add_argument("--workdir", default=None, help="models and outputs (default: a temporary folder, removed)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--repeat", type=int, default=None,
                    help="runs per tool and case, alternating; the fastest is kept (default 2, with --small 1)")
    ap.add_argument("--budget-s", type=float, default=None, help="skip the ~3B case unless it is expected to end within "
                    "this many seconds of the start (default: 480 on CUDA, for a call of 9 minutes; none on the CPU)")
    ap.add_argument("--no-big", action="store_true", help="skip the ~3B case")
    args = ap.parse_args()
    args.repeat = args.repeat or (1 if args.small else 2)
    args.budget_s = (480 if args.device != "cpu" else 0) if args.budget_s is None else args.budget_s
    start = time.perf_counter()
    work = args.workdir or tempfile.mkdtemp(prefix="bench-gpu-")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore",
           "MERGELINT_CACHE_DIR": os.path.join(work, "cache"),
           "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    result = header(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a timeout's TERM still saves what was measured
    try:
        measure(args, work, env, result, start)
    finally:
        result["total_s"] = round(time.perf_counter() - start, 1)
        save(result, args.out)
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))


def measure(args, work: str, env: dict, result: dict, start: float) -> None:
    small, big = ("tiny", "tiny-big") if args.small else ("1b", "3b")
    t = time.perf_counter()
    models = build_models(os.path.join(work, small), small, geo=GEOMETRY[small], device=args.device)
    args.build_s = (time.perf_counter() - t) / 3  # per full model (the LoRA is small)
    free_gpu(args.device)
    result["build_s"] = {small: round(time.perf_counter() - t, 1)}
    result["floor"] = floor(models, args.device)
    save(result, args.out)
    texts = configs(models)
    for case in args.cases.split(","):
        result["cases"].append(case_row(case, small, texts[case], os.path.join(work, small), args, env))
        save(result, args.out)
    linear = next((c["case_s"] for c in result["cases"] if c["method"] == "linear"), 60.0)
    why = "--no-big" if args.no_big else big_case_fits(work, big, args, start, linear)
    if why:
        result["skipped"].append(why)
        return
    t = time.perf_counter()
    bigs = build_models(os.path.join(work, big), big, geo=GEOMETRY[big], device=args.device, keys=("base", "a"))
    result["build_s"][big] = round(time.perf_counter() - t, 1)
    text = configs({**bigs, "b": bigs["base"]})["linear"]
    result["cases"].append(case_row("linear", big, text, os.path.join(work, big), args, env))


if __name__ == "__main__":
    main()
