"""Benchmark: `mergelint run` against mergekit 0.1.5 on the same configs and models.

Not part of the test suite. For each model size it builds random Llama-style checkpoints
(bfloat16, written straight to safetensors, no transformers model is instantiated): a base,
two fine-tunes and a LoRA adapter on the base. Then, for each case (linear, ties,
dare_ties, slerp, a base+lora passthrough), it runs `mergelint run` and `mergekit-yaml`
as child processes, one after the other, and reports:

- wall time and peak RSS of the child (os.wait4's ru_maxrss);
- the I/O floor: the time to read the bytes the merge reads (its input tensors) and to write
  the bytes it writes, with plain large reads and writes, same files and folder, same
  (warm) page cache; both tools are measured the same way;
- the arithmetic floor: mergelint's own math for the method over every tensor, inputs
  already in memory (reading excluded), on one thread of this machine;
- each tool's ratio to the I/O floor and to the arithmetic floor.

Every input file is read once before the first timed run, so all runs start from a warm
page cache (the machine has the RAM); that makes the I/O floor a memory-bandwidth floor.

    python bench/bench_merge.py                   # 125M and 1B, every case
    python bench/bench_merge.py --sizes 125m --cases linear,ties
    python bench/bench_merge.py --mergekit /tmp/mk/venv/bin/mergekit-yaml --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

SIZES = {
    # ~134M parameters: GPT-2-small width, Llama layout, 32k vocabulary, untied head
    "125m": dict(hidden=768, intermediate=2048, layers=12, heads=12, kv_heads=12, vocab=32000),
    # TinyLlama-1.1B geometry
    "1b": dict(hidden=2048, intermediate=5632, layers=22, heads=32, kv_heads=4, vocab=32000),
}
CASES = ["linear", "ties", "dare_ties", "slerp", "lora"]


def llama_tensors(geo: dict):
    h, i, v = geo["hidden"], geo["intermediate"], geo["vocab"]
    kv = h // geo["heads"] * geo["kv_heads"]
    yield "model.embed_tokens.weight", (v, h)
    for n in range(geo["layers"]):
        p = f"model.layers.{n}."
        yield p + "input_layernorm.weight", (h,)
        yield p + "self_attn.q_proj.weight", (h, h)
        yield p + "self_attn.k_proj.weight", (kv, h)
        yield p + "self_attn.v_proj.weight", (kv, h)
        yield p + "self_attn.o_proj.weight", (h, h)
        yield p + "post_attention_layernorm.weight", (h,)
        yield p + "mlp.gate_proj.weight", (i, h)
        yield p + "mlp.up_proj.weight", (i, h)
        yield p + "mlp.down_proj.weight", (h, i)
    yield "model.norm.weight", (h,)
    yield "lm_head.weight", (v, h)


def write_model(folder: str, geo: dict, seed: int, base: str | None = None, noise: float = 0.02,
                device: str = "cpu"):
    """A bf16 checkpoint in 2 GB shards; a fine-tune is its base plus small noise.

    `device`: where the random numbers are drawn (bench/gpu draws them on the GPU: other values
    from the same seed, the same shapes and scales)."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    os.makedirs(folder, exist_ok=True)
    g = torch.Generator(device=device).manual_seed(seed)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": geo["hidden"],
        "intermediate_size": geo["intermediate"], "num_hidden_layers": geo["layers"],
        "num_attention_heads": geo["heads"], "num_key_value_heads": geo["kv_heads"], "vocab_size": geo["vocab"],
        "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "dtype": "bfloat16",
        "hidden_act": "silu",
    }
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    base_file = safe_open(os.path.join(base, "model.safetensors"), "pt") if base and \
        os.path.exists(os.path.join(base, "model.safetensors")) else None
    base_index = None
    if base and base_file is None:
        with open(os.path.join(base, "model.safetensors.index.json")) as f:
            base_index = json.load(f)["weight_map"]
    shard, size, shards, weight_map = {}, 0, [], {}

    def flush():
        nonlocal shard, size
        if shard:
            name = f"part-{len(shards)}.safetensors"
            save_file(shard, os.path.join(folder, name), metadata={"format": "pt"})
            shards.append(name)
            for k in shard:
                weight_map[k] = name
            shard, size = {}, 0

    for name, shape in llama_tensors(geo):
        if base is None:
            t = torch.randn(shape, generator=g, device=device) * (1.0 if len(shape) == 1 else 0.02)
            if len(shape) == 1:
                t = t * 0.1 + 1
        else:
            if base_file is not None:
                b = base_file.get_tensor(name)
            else:
                with safe_open(os.path.join(base, base_index[name]), "pt") as bf:
                    b = bf.get_tensor(name)
            t = b.to(device).float() + torch.randn(shape, generator=g, device=device) * noise * 0.02
        shard[name] = t.to(torch.bfloat16).cpu().contiguous()
        size += shard[name].numel() * 2
        if size > 2e9:
            flush()
    flush()
    if len(shards) == 1:
        os.rename(os.path.join(folder, shards[0]), os.path.join(folder, "model.safetensors"))
    else:
        total = sum(os.path.getsize(os.path.join(folder, s)) for s in shards)
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f)


def write_lora(folder: str, geo: dict, seed: int, r: int = 16):
    import torch
    from safetensors.torch import save_file

    os.makedirs(folder, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    tensors = {}
    for name, shape in llama_tensors(geo):
        module = name.removesuffix(".weight")
        if module.split(".")[-1] in targets:
            out_f, in_f = shape
            key = f"base_model.model.{module}"
            tensors[key + ".lora_A.weight"] = (torch.randn(r, in_f, generator=g) * 0.01).to(torch.bfloat16)
            tensors[key + ".lora_B.weight"] = (torch.randn(out_f, r, generator=g) * 0.01).to(torch.bfloat16)
    save_file(tensors, os.path.join(folder, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "r": r, "lora_alpha": 32, "target_modules": targets, "lora_dropout": 0.0,
                   "bias": "none", "fan_in_fan_out": False, "use_rslora": False, "use_dora": False,
                   "task_type": "CAUSAL_LM", "base_model_name_or_path": None}, f, indent=2)


def configs(models: dict) -> dict[str, str]:
    a, b, base, lora = models["a"], models["b"], models["base"], models["lora"]
    return {
        "linear": f"merge_method: linear\nmodels:\n  - model: {a}\n    parameters: {{weight: 0.6}}\n"
                  f"  - model: {b}\n    parameters: {{weight: 0.4}}\ndtype: bfloat16\n",
        "ties": f"merge_method: ties\nbase_model: {base}\nmodels:\n  - model: {a}\n"
                f"    parameters: {{weight: 0.6, density: 0.5}}\n  - model: {b}\n"
                f"    parameters: {{weight: 0.4, density: 0.5}}\ndtype: bfloat16\n",
        "dare_ties": f"merge_method: dare_ties\nbase_model: {base}\nmodels:\n  - model: {a}\n"
                     f"    parameters: {{weight: 0.6, density: 0.5}}\n  - model: {b}\n"
                     f"    parameters: {{weight: 0.4, density: 0.5}}\ndtype: bfloat16\n",
        "slerp": f"merge_method: slerp\nbase_model: {a}\nmodels:\n  - model: {a}\n  - model: {b}\n"
                 "parameters: {t: 0.5}\ndtype: bfloat16\n",
        "lora": f"merge_method: passthrough\nmodels:\n  - model: {base}+{lora}\ndtype: bfloat16\n",
    }


LAUNCHER = """
import json, os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"rss_kb": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status),
                  "cpu_s": usage.ru_utime + usage.ru_stime, "read_bytes": usage.ru_inblock * 512,
                  "stderr": err.decode(errors="replace")[-2000:]}))
"""


def run_child(cmd: list[str], env: dict) -> tuple[float, float, int, str, float]:
    """(wall seconds, peak RSS in MB, exit code, stderr tail, CPU seconds) of one child process.

    The child is started by a small launcher process: Linux folds the RSS of a process's
    pre-exec image into its ru_maxrss, so a child forked straight from this (large) process
    would report at least this process's size.
    """
    wall, info = child_usage(cmd, env)
    return wall, info["rss_kb"] / 1024, info["exit"], info["stderr"], info["cpu_s"]


def child_usage(cmd: list[str], env: dict) -> tuple[float, dict]:
    """Wall seconds and the launcher's report (rss_kb, exit, cpu_s, read_bytes: from storage, stderr)."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], env=env, capture_output=True, text=True)
    return time.perf_counter() - start, json.loads(out.stdout.strip().splitlines()[-1])


def input_bytes(case: str, models: dict) -> list[str]:
    files = []
    used = {"linear": ["a", "b"], "ties": ["base", "a", "b"], "dare_ties": ["base", "a", "b"],
            "slerp": ["a", "b"], "lora": ["base", "lora"]}[case]
    for key in used:
        folder = models[key]
        files += [os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".safetensors")]
    return files


def io_floor(files: list[str], out_bytes: int, folder: str) -> float:
    """Seconds to read `files` and write `out_bytes` with plain 64 MB reads and writes."""
    buf = bytearray(64 << 20)
    view = memoryview(buf)
    start = time.perf_counter()
    for path in files:
        with open(path, "rb", buffering=0) as f:
            while f.readinto(view):
                pass
    target = os.path.join(folder, "io-floor.bin")
    with open(target, "wb", buffering=0) as f:
        left = out_bytes
        while left > 0:
            n = f.write(view[: min(left, len(buf))])
            left -= n
    elapsed = time.perf_counter() - start
    os.unlink(target)
    return elapsed


def math_floor(config_text: str, case: str) -> float:
    """Seconds of mergelint's own math over every output tensor, inputs already in memory."""
    import torch

    from merge_core.execute import Engine
    from merge_core.run import Options, build_plan

    plan = build_plan(config_text, Options(seed=0))
    engine = Engine(plan, seed=0)
    total = 0.0
    try:
        with torch.inference_mode():
            for task in plan.tasks:
                staged = engine._stage(task)
                tensors = [t.clone() for t in engine._prepare(task, staged)] if case != "lora" else None
                if case == "lora":
                    staged = [(x.clone(), {k: v.clone() for k, v in parts.items()}) for x, parts in staged]
                    start = time.perf_counter()
                    engine.compute(task, engine._prepare(task, staged))
                else:
                    start = time.perf_counter()
                    engine.compute(task, tensors)
                total += time.perf_counter() - start
                for release in engine._releases(task):
                    release()
    finally:
        for m in plan.models.values():
            m.close()
    return total


def build_models(folder: str, size: str, *, geo: dict | None = None, device: str = "cpu",
                 keys: tuple[str, ...] = ("base", "a", "b", "lora")) -> dict[str, str]:
    """The base, two fine-tunes and a LoRA of one size in `folder` (kept there for later runs).

    `geo` (default SIZES[size]), `device` (where the numbers are drawn) and `keys` (a subset of
    the four, the base always built) are for bench/gpu."""
    geo = geo or SIZES[size]
    models = {k: os.path.join(folder, k) for k in ("base", "a", "b", "lora")}
    done = ["adapter_config.json"] if keys[-1] == "lora" else ["model.safetensors", "model.safetensors.index.json"]
    if not any(os.path.exists(os.path.join(models[keys[-1]], name)) for name in done):  # written last
        t = time.perf_counter()
        write_model(models["base"], geo, 0, device=device)
        for seed, key in ((1, "a"), (2, "b")):
            if key in keys:
                write_model(models[key], geo, seed, base=models["base"], device=device)
        if "lora" in keys:
            write_lora(models["lora"], geo, 3)
        print(f"[{size}] built models in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return models


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="125m,1b")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--workdir", default=None, help="where models and outputs go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the models for another run")
    ap.add_argument("--mergekit", default=shutil.which("mergekit-yaml") or "mergekit-yaml")
    ap.add_argument("--mergelint", default=shutil.which("mergelint") or "mergelint")
    ap.add_argument("--tools", default="mergelint,mergekit")
    ap.add_argument("--json", default=None, help="also write the rows as JSON here")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool and case; the fastest is kept")
    args = ap.parse_args()

    work = args.workdir or tempfile.mkdtemp(prefix="bench-merge-")
    os.makedirs(work, exist_ok=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    rows = []
    try:
        for size in args.sizes.split(","):
            folder = os.path.join(work, size)
            models = build_models(folder, size)
            for path in input_bytes("ties", models) + input_bytes("lora", models):  # warm the page cache
                with open(path, "rb", buffering=0) as f:
                    while f.read(64 << 20):
                        pass
            texts = configs(models)
            for case in args.cases.split(","):
                cfg_path = os.path.join(folder, f"{case}.yml")
                with open(cfg_path, "w") as f:
                    f.write(texts[case])
                from merge_core.run import Options, build_plan

                plan = build_plan(texts[case], Options(seed=0))
                read_b, write_b = plan.read_bytes, plan.write_bytes
                for m in plan.models.values():
                    m.close()
                floor_io = min(io_floor(input_bytes(case, models), write_b, folder) for _ in range(args.repeat))
                floor_math = min(math_floor(texts[case], case) for _ in range(args.repeat))
                for tool in args.tools.split(","):
                    out = os.path.join(folder, f"out-{tool}-{case}")
                    shutil.rmtree(out, ignore_errors=True)
                    if tool == "mergelint":
                        cmd = [args.mergelint, "run", cfg_path, out, "--seed", "0"]
                    else:
                        cmd = [args.mergekit, cfg_path, out, "--random-seed", "0", "--quiet",
                               "--lora-merge-cache", os.path.join(folder, "lora-cache")]
                        shutil.rmtree(os.path.join(folder, "lora-cache"), ignore_errors=True)
                    best = None
                    for _ in range(args.repeat):
                        shutil.rmtree(out, ignore_errors=True)
                        shutil.rmtree(os.path.join(folder, "lora-cache"), ignore_errors=True)
                        got = run_child(cmd, env)
                        if best is None or (got[2] == 0 and got[0] < best[0]):
                            best = got
                    wall, rss, code, err, cpu = best
                    row = dict(size=size, case=case, tool=tool, wall_s=round(wall, 2), cpu_s=round(cpu, 2),
                               peak_rss_mb=round(rss),
                               exit=code, read_gb=round(read_b / 1e9, 3), write_gb=round(write_b / 1e9, 3),
                               io_floor_s=round(floor_io, 2), math_floor_s=round(floor_math, 2))
                    if code != 0:
                        row["error"] = err.strip().splitlines()[-1:] if err.strip() else []
                    rows.append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
                    shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print_table(rows)
    save_rows(rows, args.json)


def save_rows(rows: list[dict], path: str | None) -> None:
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=2)


def print_table(rows: list[dict]) -> None:
    import platform

    import torch

    print(f"# {platform.node()}: {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, CPU math\n")
    print("| size | case | tool | wall s | CPU s | peak RSS MB | read GB | write GB | I/O floor s "
          "| wall / I/O floor | math floor s | wall / math floor | vs mergekit (wall, CPU, RSS) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        other = next((o for o in rows if o["size"] == r["size"] and o["case"] == r["case"]
                      and o["tool"] == "mergekit"), None)
        vs = ""
        if r["tool"] == "mergelint" and other and other["exit"] == 0 and r["exit"] == 0:
            vs = (f"{r['wall_s'] / other['wall_s']:.2f}x, {r['cpu_s'] / other['cpu_s']:.2f}x, "
                  f"{r['peak_rss_mb'] / other['peak_rss_mb']:.2f}x")
        wall = f"{r['wall_s']}" if r["exit"] == 0 else f"failed ({r['exit']})"
        print(f"| {r['size']} | {r['case']} | {r['tool']} | {wall} | {r['cpu_s']} | {r['peak_rss_mb']} | "
              f"{r['read_gb']} | "
              f"{r['write_gb']} | {r['io_floor_s']} | {r['wall_s'] / max(r['io_floor_s'], 1e-9):.1f}x | "
              f"{r['math_floor_s']} | {r['wall_s'] / max(r['math_floor_s'], 1e-9):.1f}x | {vs} |")


if __name__ == "__main__":
    main()
