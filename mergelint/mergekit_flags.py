"""mergekit-yaml's options on `mergelint run`, declared once, so a pasted mergekit command line runs.

Every option of mergekit 0.1.5's MergeOptions (mergekit/options.py) is here or, where
`mergelint run` has an option of the same name and meaning (`--device`, `--out-shard-size`,
`--allow-crimes`, `--unsafe-truncate-embeddings`) is declared with `run`'s own. Each is either
honoured (mapped onto merge_core.run.Options or the run's output) or accepted with one line
on stderr saying why it changes nothing here. Bool options take mergekit's `--x/--no-x` forms.
Importing this module costs only click: `check` stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

import click

# name, declarations, click keywords, mergekit's default, why it has no effect here (None: honoured).
# Defaults are None so that "not given" is known: mergelint's own defaults then apply.
_TABLE = (
    ("cuda", ("--cuda/--no-cuda",), {"help": "As --device cuda (mergekit's flag)."}, False, None),
    ("gpu_rich", ("--gpu-rich",), {"is_flag": True, "help": "As --cuda here (mergekit's alias)."}, False, None),
    ("random_seed", ("--random-seed",), {"type": int, "help": "As --seed (mergekit's name)."}, None, None),
    ("copy_tokenizer", ("--copy-tokenizer/--no-copy-tokenizer",),
     {"help": "Write the tokenizer files to OUT (default: yes)."}, True, None),
    ("write_model_card", ("--write-model-card/--no-write-model-card",),
     {"help": "Write README.md and mergekit_config.yml to OUT (default: yes)."}, True, None),
    ("num_threads", ("--num-threads", "-j"), {"type": int, "help": "Threads for the CPU math (torch)."}, None, None),
    ("quiet", ("--quiet/--no-quiet",), {"help": "Only warnings and errors: no progress bar, notes or infos."},
     False, None),
    ("verbosity", ("-v",), {"count": True, "default": 0,
                                       "help": "-v: the plan's summary before merging; -vv: the whole plan."}, 0, None),
    ("transformers_cache", ("--transformers-cache",), {"metavar": "DIR"}, None,
     "models are found in local folders or the Hugging Face cache; set HF_HUB_CACHE=DIR to use another cache"),
    ("lora_merge_cache", ("--lora-merge-cache",), {"metavar": "DIR"}, None,
     "a LoRA is applied tensor by tensor as the merge reads it; no merged copy is stored"),
    ("lora_merge_dtype", ("--lora-merge-dtype",), {"metavar": "DTYPE"}, None,
     "LoRA deltas are computed in float32 (or the weight's wider dtype), as PEFT does"),
    ("low_cpu_memory", ("--low-cpu-memory/--no-low-cpu-memory",), {}, False,
     "only the tensors in flight are held in memory"),
    ("read_to_gpu", ("--read-to-gpu/--no-read-to-gpu",), {}, False,
     "with --device cuda each tensor is copied to the GPU as it is read"),
    ("multi_gpu", ("--multi-gpu/--no-multi-gpu",), {}, False, "a merge runs on one device (--device cuda:N)"),
    ("clone_tensors", ("--clone-tensors/--no-clone-tensors",), {}, False,
     "each output tensor is written from its own data, a layer used twice included"),
    ("trust_remote_code", ("--trust-remote-code/--no-trust-remote-code",), {}, False,
     "mergelint never runs a model repository's code; it reads config.json and the tensors as data"),
    ("lazy_unpickle", ("--lazy-unpickle/--no-lazy-unpickle",), {}, False,
     "safetensors inputs are memory-mapped; pytorch_model.bin inputs need --allow-pickle"),
    ("safe_serialization", ("--safe-serialization/--no-safe-serialization",), {}, True,
     "mergelint writes only safetensors"),
    ("async_write", ("--async-write/--no-async-write",), {}, False,
     "shards are always written on their own thread while the next tensors are computed"),
    ("write_threads", ("--write-threads",), {"type": int}, 1, "one writer thread streams the shards"),
)


def mergekit_options(command):
    """Add the table's options to a click command (they arrive as keyword arguments)."""
    for name, decls, kwargs, _default, why in reversed(_TABLE):
        extra = {"default": None, **kwargs}
        if why is not None:
            extra.setdefault("help", f"mergekit's option; no effect here: {why}.")
        command = click.option(*decls, name, **extra)(command)
    return command


@dataclass
class Compat:
    device: str
    seed: int | None
    copy_tokenizer: bool
    write_model_card: bool
    quiet: bool
    verbosity: int
    num_threads: int | None
    ignored: list[str]  # one line each: the option as given and why it changes nothing


def resolve(flags: dict, device: str | None, seed: int | None) -> Compat:
    """mergelint's settings from run's --device/--seed and the table's options, as mergekit reads them."""
    get = lambda name, default: default if flags.get(name) is None else flags[name]  # noqa: E731
    if not device:  # an explicit --device wins over --cuda, as in mergekit
        device = "cuda" if get("cuda", False) or get("gpu_rich", False) else "cpu"
    elif device == "auto":  # mergekit's: the accelerator when there is one
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    ignored = []
    for name, decls, _kwargs, default, why in _TABLE:
        value = flags.get(name)
        if why is None or value is None or value == default:
            continue
        flag = decls[0].split("/")[0]
        shown = f"--no-{flag[2:]}" if value is False else flag if value is True else f"{flag} {value}"
        ignored.append(f"{shown} has no effect here: {why}")
    return Compat(device, seed if seed is not None else get("random_seed", None), get("copy_tokenizer", True),
                  get("write_model_card", True), get("quiet", False), get("verbosity", 0) or 0,
                  get("num_threads", None), ignored)
