"""Benchmark the model-fact checks: a config naming ten local models, checked cold and warm.

Not a test: it builds ten real checkpoints (random Llama models with 32 layers, so each
has the 291 tensors of a Llama-2-7B, at a tiny hidden size; half of them sharded) and
two LoRA adapters, in a child process so that torch never enters this one; then it
times `mergelint.checker.check_source` on

  (1) a `ties` merge of the ten models (two with a LoRA attached, a `filter:` parameter),
  (2) a passthrough frankenmerge taking layer ranges from all ten,

each (a) cold, in a fresh process: imports plus the first check, which reads every
config.json and safetensors header (10 runs after an untimed one); (b) the first check
in-process after the imports, with the fact caches emptied;
(c) warm: the same check repeated (the facts cached per file, re-validated by stat),
median and min over --repeat runs; and, for reference, (d) the same config with the
models named by Hub ids that are not in the cache (no model facts: the static checks
alone).

Usage: python bench/bench_models.py [--models DIR] [--repeat N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
N_MODELS = 10


def build(folder: str) -> None:
    """Runs in a child process: ten 32-layer Llama checkpoints and two adapters."""
    import warnings

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=256, hidden_size=16, intermediate_size=32, num_attention_heads=2,
        num_key_value_heads=1, num_hidden_layers=32, max_position_embeddings=64,
    )
    for i in range(N_MODELS):
        model = LlamaForCausalLM(config)
        kwargs = {"max_shard_size": "40KB"} if i % 2 else {}
        model.save_pretrained(os.path.join(folder, f"model-{i}"), **kwargs)
        if i in (1, 2):
            peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"]))
            peft_model.peft_config["default"].base_model_name_or_path = f"model-{i}"
            peft_model.save_pretrained(os.path.join(folder, f"lora-{i}"))


def configs() -> dict[str, str]:
    merge = ["merge_method: ties", "base_model: ./model-0", "parameters:", "  density:",
             "    - filter: mlp", "      value: 0.5", "    - value: 0.7", "models:"]
    for i in range(1, N_MODELS):
        model = f"./model-{i}+./lora-{i}" if i in (1, 2) else f"./model-{i}"
        merge += [f"  - model: {model}", "    parameters:", "      weight: 0.1"]
    franken = ["merge_method: passthrough", "slices:"]
    for i in range(N_MODELS):
        franken += ["  - sources:", f"      - model: ./model-{i}", f"        layer_range: [{3 * i}, {3 * i + 3}]"]
    return {"ties merge of 10 models": "\n".join(merge) + "\n", "frankenmerge of 10 models": "\n".join(franken) + "\n"}


def unresolvable(text: str) -> str:
    return text.replace("./model-", "org/absent-model-").replace("./lora-", "org/absent-lora-")


COLD = """
import sys, time
t0 = time.perf_counter()
from mergelint.checker import check_source
from mergelint.document import Source
n = len(check_source(Source(open(sys.argv[1]).read(), sys.argv[1]), base_dir=sys.argv[2]))
print(time.perf_counter() - t0, n, "torch" in sys.modules)
"""


def measure(folder: str, repeat: int) -> dict:
    from merge_core.inspect import files, folder_facts
    from mergelint.checker import check_source
    from mergelint.document import Source

    results = {}
    empty_cache = tempfile.mkdtemp()
    # Cold runs import from cached bytecode, as after an ordinary install (bench_check.py does the same).
    env = {**os.environ, "HF_HUB_CACHE": empty_cache, "HF_HUB_OFFLINE": "1", "PYTHONPYCACHEPREFIX": tempfile.mkdtemp()}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.update({"HF_HUB_CACHE": empty_cache, "HF_HUB_OFFLINE": "1"})
    for name, text in configs().items():
        path = os.path.join(folder, name.split()[0] + ".yml")
        with open(path, "w") as f:
            f.write(text)
        cold = []
        for run in range(11):  # the first, untimed, writes the bytecode cache
            out = subprocess.run([sys.executable, "-c", COLD, path, folder], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
            seconds, count, torch_loaded = out.stdout.split()
            assert torch_loaded == "False"
            if run:
                cold.append(float(seconds))
        source = Source(text, path)
        files.clear()  # nothing cached: every config.json and header is read
        folder_facts._FOLDERS.clear()
        t0 = time.perf_counter()
        found = check_source(source, base_dir=folder)
        first = time.perf_counter() - t0
        warm = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            again = check_source(source, base_dir=folder)
            warm.append(time.perf_counter() - t0)
        assert [d.message for d in again] == [d.message for d in found]
        static_source = Source(unresolvable(text), path)
        check_source(static_source, base_dir=folder)
        static = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            check_source(static_source, base_dir=folder)
            static.append(time.perf_counter() - t0)
        results[name] = {
            "lines": text.count("\n"),
            "diagnostics": sorted(f"{d.severity}[{d.rule}]" for d in found),
            "cold_process_median_ms": statistics.median(cold) * 1e3,
            "cold_process_min_ms": min(cold) * 1e3,
            "first_in_process_ms": first * 1e3,
            "warm_median_ms": statistics.median(warm) * 1e3,
            "warm_min_ms": min(warm) * 1e3,
            "no_facts_warm_median_ms": statistics.median(static) * 1e3,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="build the models here (default: a temporary folder); reused when present")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--build", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.build:
        build(args.build)
        return
    folder = args.models or tempfile.mkdtemp(prefix="mergelint-bench-models-")
    if not os.path.isdir(os.path.join(folder, "model-0")):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", folder], check=True)
        print(f"built {N_MODELS} models and 2 adapters in {folder} ({time.perf_counter() - t0:.1f} s)")
    from merge_core.inspect import Inspector

    inspector = Inspector(folder)
    facts = inspector.resolve("model-1").facts
    print(f"each model: {facts.num_layers} layers, {len(facts.tensors)} tensors, "
          f"{len(facts.weight_files)} file(s) (odd models sharded); {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    results = measure(folder, args.repeat)
    for name, r in results.items():
        print(f"\n{name} ({r['lines']} lines): {', '.join(r['diagnostics']) or 'no diagnostics'}")
        print(f"  cold, fresh process (imports + first check), median of 10: {r['cold_process_median_ms']:6.1f} ms")
        print(f"  cold, fresh process, min:                                 {r['cold_process_min_ms']:7.1f} ms")
        print(f"  first check in-process (every header read):               {r['first_in_process_ms']:7.1f} ms")
        print(f"  warm check, median of {args.repeat}:                              {r['warm_median_ms']:7.2f} ms")
        print(f"  warm check, min:                                          {r['warm_min_ms']:7.2f} ms")
        print(f"  same config, models unresolvable (static checks only):    {r['no_facts_warm_median_ms']:7.2f} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
