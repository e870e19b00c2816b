"""Benchmark: what `mergelint sweep` costs per trial beyond the merge and the score.

Not part of the test suite. On tests/sweep's tiny models (two 2-layer Llama models, hidden size
32, with a tokenizer, and a 200-word text for perplexity), a linear merge whose first weight is
searched (random sampler, seed 0), so that the merge itself is tiny and the figures are overhead:

- floor: the bare merge + score of each sampled config in this process (merge_core.run.run_merge,
  sweep.objective.score), imports already done; median per trial;
- sweep, 1 and 2 workers: `python -m mergelint sweep` as a child process (embedded Ray), its wall
  time, and each trial's finish time (results.jsonl is polled); steady s/trial is the time between
  the first and the last finish over the trials between them (Ray's start and the first trial left
  out), end-to-end s/trial is the whole wall time over the trials;
- shell loop: the same sampled configs, one `python -m mergelint run` and one scoring process
  (`sweep.objective.perplexity`) per trial, from bash: a process start and torch imports per step.

overhead = s/trial - floor. Medians over --repeat runs of each; the load average before and after.

    nice -n 10 python bench/bench_sweep.py            # 5 trials, 3 repetitions (about 4 minutes on 2 busy cores)
    nice -n 10 python bench/bench_sweep.py --quick    # 4 trials, 1 repetition
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

SCORE = "import sys; from sweep.objective import perplexity; print(perplexity(sys.argv[1], sys.argv[2]))"


def sweep_helpers():
    """tests/sweep/conftest.py as a plain module: its tiny models, text and base config."""
    path = Path(ROOT) / "tests" / "sweep" / "conftest.py"
    spec = importlib.util.spec_from_file_location("bench_sweep_conftest", path)
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_sweep(work: Path, helpers, models, trials: int) -> Path:
    (work / "merge.yml").write_text(helpers.base_config(models))
    sweep = work / "sweep.yml"
    sweep.write_text(f"base: merge.yml\nsearch:\n  models[0].parameters.weight: {{range: [0.1, 1.0]}}\n"
                     f"objective: {{perplexity: {models.text}, window: 64}}\n"
                     f"algorithm: random\nseed: 0\ntrials: {trials}\n")
    return sweep


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": ROOT, "HF_HUB_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0",
            "PYTHONWARNINGS": "ignore"}


def run_sweep(sweep: Path, out: Path, workers: int) -> dict:
    """Wall seconds of one sweep and the times (from its start) at which each trial's line appeared."""
    results = out / "results.jsonl"
    cmd = [sys.executable, "-m", "mergelint", "sweep", str(sweep), "--out", str(out), "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=sweep.parent, env=child_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    finished, seen = [], 0
    while proc.poll() is None:
        lines = results.read_text().count("\n") if results.exists() else 0
        finished += [time.perf_counter() - start] * (lines - seen)
        seen = lines
        time.sleep(0.01)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    records = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    finished += [wall] * (len(records) - seen)
    if proc.returncode != 0 or any(r["objective"] is None for r in records):
        raise SystemExit(f"sweep failed ({proc.returncode}): {err[-2000:]}")
    return {"wall": wall, "finished": finished, "records": records}


def sweep_row(runs: list[dict], workers: int) -> dict:
    trials = len(runs[0]["records"])
    steady = [(r["finished"][-1] - r["finished"][0]) / max(trials - 1, 1) for r in runs]
    # each worker's first trial imports torch and transformers: the records after the first `workers` ones
    in_worker = [statistics.median(x["seconds"] for x in r["records"][workers:] or r["records"]) for r in runs]
    return {"end_to_end": statistics.median(r["wall"] for r in runs) / trials,
            "steady": statistics.median(steady), "in_worker": statistics.median(in_worker),
            "first": statistics.median(r["finished"][0] for r in runs)}


def floor(configs: list[str], text: str, work: Path) -> float:
    """Median seconds of the bare merge + perplexity of each config, in this process, after a warm-up."""
    import torch
    from transformers.utils import logging

    from merge_core.run import Options, run_merge
    from sweep.objective import Objective, score

    logging.disable_progress_bar()
    torch.set_num_threads(1)  # as in a Ray worker with num_cpus=1 (Ray sets OMP_NUM_THREADS=1)

    objective = Objective("perplexity", text, window=64)
    times = []
    for i, config in enumerate([configs[0], *configs]):
        out = str(work / "floor-model")
        start = time.perf_counter()
        run_merge(config, out, Options(seed=0, force=True))
        score(objective, out)
        if i:  # the first is the warm-up: lazy imports and first-call costs
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def shell_loop(configs: list[str], text: str, work: Path) -> float:
    """Wall seconds per trial of a bash loop: `mergelint run` then a scoring process, per config."""
    lines = ["set -e"]
    for i, config in enumerate(configs):
        (work / f"loop-{i}.yml").write_text(config)
        lines += [f'"$PY" -m mergelint run loop-{i}.yml loop-out --force >/dev/null 2>&1',
                  f'"$PY" -c "$SCORE" loop-out "{text}" >/dev/null 2>&1', "rm -rf loop-out"]
    (work / "loop.sh").write_text("\n".join(lines) + "\n")
    env = {**child_env(), "PY": sys.executable, "SCORE": SCORE}
    start = time.perf_counter()
    subprocess.run(["bash", "loop.sh"], cwd=work, env=env, check=True)
    return (time.perf_counter() - start) / len(configs)


def measure(work: Path, trials: int, repeat: int) -> dict:
    helpers = sweep_helpers()
    models = helpers.make_models(work)
    sweep = write_sweep(work, helpers, models, trials)
    runs = {1: [], 2: []}
    loops, floors = [], []
    for rep in range(repeat):  # alternating, so that a change in the machine's load falls on every row
        for workers in runs:
            runs[workers].append(run_sweep(sweep, work / f"out-{workers}-{rep}", workers))
        configs = [r["config"] for r in runs[1][0]["records"]]
        floors.append(floor(configs, str(models.text), work))
        loops.append(shell_loop(configs, str(models.text), work))
    return {"floor": statistics.median(floors), "loop": statistics.median(loops),
            "sweeps": {w: sweep_row(r, w) for w, r in runs.items()}}


def print_table(m: dict, trials: int, repeat: int, load: tuple) -> None:
    import torch

    print(f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, torch {torch.__version__}; "
          f"{trials} trials, median of {repeat} run(s)")
    print("# load average before: {:.2f}, {:.2f}, {:.2f}; after: {:.2f}, {:.2f}, {:.2f}".format(*load[0], *load[1]))
    print(f"# floor (bare merge + score, in-process, 1 thread): {m['floor']:.3f} s/trial")
    for w, r in m["sweeps"].items():
        print(f"# sweep, {w} worker(s): first trial recorded {r['first']:.1f} s after the start (Ray, imports)")
    print()
    print("| how | s/trial | trials/min | overhead s/trial | merge+score in worker s |")
    print("|---|---:|---:|---:|---:|")
    rows = [("floor: in-process merge + score", m["floor"], None)]
    for w, r in m["sweeps"].items():
        rows += [(f"sweep, {w} worker(s), steady", r["steady"], r["in_worker"]),
                 (f"sweep, {w} worker(s), end to end", r["end_to_end"], r["in_worker"])]
    rows.append(("shell loop: `mergelint run` + score process", m["loop"], None))
    for name, per_trial, in_worker in rows:
        worker = f"{in_worker:.3f}" if in_worker is not None else ""
        print(f"| {name} | {per_trial:.2f} | {60 / per_trial:.1f} | {per_trial - m['floor']:.2f} | {worker} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="4 trials, 1 repetition")
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    trials, repeat = (4, 1) if args.quick else (args.trials, args.repeat)
    before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as work:
        m = measure(Path(work), trials, repeat)
    load = (before, os.getloadavg())
    print_table(m, trials, repeat, load)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**m, "trials": trials, "repeat": repeat, "load": load}, f, indent=2)


if __name__ == "__main__":
    main()
