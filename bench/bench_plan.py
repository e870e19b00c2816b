"""Benchmark: `mergelint plan`'s estimates against what `mergelint run` then does.

Not part of the test suite. On bench_merge.py's models (~125M and ~1B, bfloat16), for linear,
ties, dare_ties, slerp, a frankenmerge and base+lora, it takes the plan's totals (headers only)
and runs the merge as a child process, measuring:

- bytes read: the child's reads from storage (rusage ru_inblock), after the input files are
  dropped from the page cache (posix_fadvise DONTNEED on those files only, nothing else's);
- bytes written: the size of the output's safetensors files;
- peak RSS: the child's ru_maxrss (through bench_merge's launcher);
- wall seconds against the plan's `seconds` (throughput: the one `run` remembered, or the default).

It prints predicted, measured and their ratio, and the accuracy the plan promises (write within
2%, read within 10%, peak memory within 25%).

    nice python bench/bench_plan.py                       # 125M and 1B, every case
    nice python bench/bench_plan.py --sizes 125m --workdir /tmp/bench   # keep the models there
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from bench_merge import SIZES, build_models, child_usage, configs, save_rows  # noqa: E402

CASES = ["linear", "ties", "dare_ties", "slerp", "frankenmerge", "lora"]
LIMITS = {"write": 0.02, "read": 0.10, "peak": 0.25}


def frankenmerge(models: dict, layers: int) -> str:
    """Two thirds of a, then b from a third on: the middle third repeated, as self-merges do."""
    third = layers // 3
    return (f"merge_method: passthrough\ndtype: bfloat16\nslices:\n"
            f"  - sources: [{{model: {models['a']}, layer_range: [0, {2 * third}]}}]\n"
            f"  - sources: [{{model: {models['b']}, layer_range: [{third}, {layers}]}}]\n")


def evict(folders: list[str]) -> None:
    """Drop these models' files from the page cache, so the merge has to read what it uses."""
    for folder in folders:
        for name in os.listdir(folder):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                finally:
                    os.close(fd)


def predicted(text: str) -> dict:
    from merge_core.plan_report import make
    from merge_core.run import Options

    return make(text, Options(seed=0)).totals.as_json()


def measure(mergelint: str, cfg_path: str, out: str, models: dict, env: dict) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    evict(list(models.values()))
    wall, info = child_usage([mergelint, "run", cfg_path, out, "--seed", "0"], env)
    if info["exit"] != 0:
        raise SystemExit(f"{cfg_path}: mergelint run failed: {info['stderr']}")
    written = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out) if f.endswith(".safetensors"))
    shutil.rmtree(out, ignore_errors=True)
    return {"read_bytes": info["read_bytes"], "write_bytes": written, "peak_rss_bytes": info["rss_kb"] * 1024,
            "seconds": wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="125m,1b")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--workdir", default=None, help="where models and outputs go (default: a temp folder)")
    ap.add_argument("--mergelint", default=shutil.which("mergelint") or "mergelint")
    ap.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = ap.parse_args()

    rows = []
    work = args.workdir or tempfile.mkdtemp(prefix="bench-plan-")
    # the throughput `run` remembers goes to the work folder, not the user's cache
    os.environ["MERGELINT_CACHE_DIR"] = os.path.join(work, "cache")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    try:
        for size in args.sizes.split(","):
            models = build_models(folder := os.path.join(work, size), size)
            texts = {**configs(models), "frankenmerge": frankenmerge(models, SIZES[size]["layers"])}
            for case in args.cases.split(","):
                cfg_path = os.path.join(folder, f"plan-{case}.yml")
                with open(cfg_path, "w") as f:
                    f.write(texts[case])
                row = {"size": size, "case": case, "predicted": predicted(texts[case]),
                       "measured": measure(args.mergelint, cfg_path, os.path.join(folder, f"out-plan-{case}"),
                                           models, env)}
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows)
    save_rows(rows, args.json)


def print_table(rows: list[dict]) -> None:
    print("| size | case | read MB plan / run | write MB plan / run | peak MB plan / RSS | seconds plan / run |")
    print("|---|---|---:|---:|---:|---:|")
    misses = []
    for r in rows:
        p, m = r["predicted"], r["measured"]
        cells = []
        for key, measured_key, limit in (("read_bytes", "read_bytes", "read"), ("write_bytes", "write_bytes", "write"),
                                         ("peak_memory_bytes", "peak_rss_bytes", "peak")):
            error = p[key] / max(m[measured_key], 1) - 1
            if abs(error) > LIMITS[limit]:
                misses.append(f"{r['size']} {r['case']} {limit}: {error:+.1%} (limit {LIMITS[limit]:.0%})")
            cells.append(f"{p[key] / 1e6:.0f} / {m[measured_key] / 1e6:.0f} ({error:+.1%})")
        cells.append(f"{p['seconds']:.1f} / {m['seconds']:.1f}")
        print(f"| {r['size']} | {r['case']} | " + " | ".join(cells) + " |")
    print("\nall within the limits" if not misses else "\noutside the limits:\n" + "\n".join(misses))


if __name__ == "__main__":
    main()
