"""`mergelint run` of a mergekit-moe config: the MoE model mergekit-moe 0.1.5 builds, into OUT.

The same steps in the same order as `mergekit/scripts/moe.py: build` (seed, tokenizer, router
weights, config.json, then the tensors), so the random draws of the gates and the expert noise
match mergekit's under the same seed. OUT is checked, assembled and published by output_dir as
for a mergekit-yaml run; tensors are streamed one group at a time into the shard writer.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

from ..checkpoint import Checkpoint, locate, read_json
from ..errors import ConfigError, MergeError
from ..language import MODEL_CONFIG, TOKENIZER_CONFIG
from ..output_dir import Interrupted, Output
from ..run import Options, Result, _version, reference_folders
from ..write import Entry
from .architectures import MoeShape, NoArchitecture, OutputArchitecture, select
from .config import MoeConfig, parse_moe, refusal
from .gates import EMBED_WEIGHT, GATE_DTYPES, UNIFORM_RANDOM, degenerate_layers, gate_vectors, gated, load_tokenizer
from .language import PROMPTLESS_GATE_MODE, SAVED_MOE_CONFIG
from .tensors import Sources, groups_for, read

# mergekit's dtype_from_name accepts these (and int64, which no weight here would want).
DTYPES = ("bfloat16", "float16", "float32", "float64")


class MoeInput:
    """One model the build reads: its folder, config.json and tensors."""

    def __init__(self, ref, options: Options):
        if ref.lora is not None:
            # mergekit-moe 0.1.5 cannot read one either (its loader asserts "LoRA not merged")
            raise ConfigError(f"{ref}: mergekit-moe takes no LoRA (model+lora) references; merge the adapter "
                              "into its model first (e.g. a mergekit-yaml passthrough)")
        self.folder = locate(ref.model, "model", online=options.online, allow_pickle=options.allow_pickle)
        path = os.path.join(self.folder, MODEL_CONFIG)
        self.config = read_json(path) if os.path.exists(path) else {}
        self.checkpoint = Checkpoint(self.folder, str(ref.model), allow_pickle=options.allow_pickle)


def run_moe(config_text: str, out: str, options: Options, *, allow_all_same: bool = False,
            on_progress=None) -> Result:
    """Build into OUT. Ctrl-C or SIGTERM comes out as output_dir.Interrupted, saying what OUT holds."""
    cfg = _read(config_text, options, allow_all_same)
    output = Output(out, reference_folders(cfg.models()), options.force)
    try:
        return _build(cfg, config_text, output, options, on_progress)
    except KeyboardInterrupt as e:
        raise (e if isinstance(e, Interrupted) else output.interrupted()) from None


def _read(config_text: str, options: Options, allow_all_same: bool) -> MoeConfig:
    cfg = parse_moe(config_text)
    if options.dtype:
        cfg = replace(cfg, dtype=options.dtype)
    if cfg.dtype is not None and cfg.dtype.removeprefix("torch.") not in DTYPES:
        raise ConfigError(f"dtype: {cfg.dtype!r} is not one of {', '.join(DTYPES)}")
    why = refusal(cfg, allow_all_same)
    if why:
        raise ConfigError(why)
    return cfg


def _shape(cfg: MoeConfig, models: dict) -> MoeShape:
    kind = lambda ref: str(models[ref].config.get("model_type", ""))  # noqa: E731
    return MoeShape(kind(cfg.base), tuple(kind(e.model) for e in cfg.experts),
                    tuple(kind(e.model) for e in cfg.shared), tuple(bool(e.positive or e.negative) for e in cfg.shared),
                    tuple(bool(e.positive) for e in cfg.shared), cfg.gate_mode)


def _architecture(cfg: MoeConfig, models: dict) -> OutputArchitecture:
    try:
        return select(_shape(cfg, models), cfg.architecture)
    except NoArchitecture as e:
        reasons = "; ".join(f"{name}: {why}" for name, why in e.reasons.items())
        raise ConfigError(f"{e}{f' ({reasons})' if reasons else ''}") from None


def _sources(cfg: MoeConfig, models: dict) -> Sources:
    """Everything the tensors are made from, but the gates (computed once the preflight passes)."""
    from .out_config import base_dtype

    base = models[cfg.base]
    out_dtype = cfg.dtype.removeprefix("torch.") if cfg.dtype else base_dtype(base.folder)
    pairs = lambda experts: [(e, models[e.model].checkpoint) for e in experts]  # noqa: E731
    return Sources(base.checkpoint, pairs(cfg.experts), pairs(cfg.shared), base.config, out_dtype,
                   len(gated(cfg)), GATE_DTYPES.get(cfg.gate_mode, "float32"))


def _preflight(cfg: MoeConfig, src: Sources, groups, output: Output, options: Options) -> None:
    """Disk for the output; memory for the largest group with its sources (a layer of fused experts),
    plus the base model in bfloat16 for the hidden gate modes."""
    from .. import preflight
    from ..estimate import Totals

    size = lambda g: sum(Entry(o.name, o.shape, o.dtype).nbytes for o in g.outputs)  # noqa: E731
    base = sum(i.numel * 2 for i in src.base.tensors.values()) if cfg.gate_mode in GATE_DTYPES else 0
    total = sum(size(g) for g in groups)
    totals = Totals(write_bytes=total, disk_bytes=total, peak_memory_bytes=2 * max(map(size, groups)) + base)
    preflight.check(totals, out=output.path, device=options.device, models=len(cfg.models()),
                    max_memory=options.max_memory, max_disk=options.max_disk)


def describe(config_text: str, options: Options, allow_all_same: bool = False) -> list[str]:
    """`run --dry-run` of a mergekit-moe config: the architecture and every output tensor, from
    headers alone (no weight read, no gate computed)."""
    cfg = _read(config_text, options, allow_all_same)
    models = {ref: MoeInput(ref, options) for ref in cfg.models()}
    try:
        architecture = _architecture(cfg, models)
        groups = groups_for(architecture.name, _sources(cfg, models))
    finally:
        for m in models.values():
            m.checkpoint.close()
    outputs = [o for g in groups for o in g.outputs]
    total = sum(Entry(o.name, o.shape, o.dtype).nbytes for o in outputs)
    return [f"mergekit-moe: {architecture.name}, {len(cfg.experts)} experts, gate_mode {cfg.gate_mode}; "
            f"{len(outputs)} tensors, {total / 1e9:.2f} GB", *(f"{o.name} {list(o.shape)} {o.dtype}" for o in outputs)]


def _build(cfg: MoeConfig, config_text: str, output: Output, options: Options, on_progress) -> Result:
    import torch

    notes = output.clean_stale()
    models = {ref: MoeInput(ref, options) for ref in cfg.models()}
    try:
        architecture = _architecture(cfg, models)
        if options.seed is not None:  # mergekit's --random-seed: transformers' set_seed, torch's part of it
            torch.manual_seed(options.seed)
        base = models[cfg.base]
        has_tokenizer = os.path.isfile(os.path.join(base.folder, TOKENIZER_CONFIG))
        prompts = cfg.gate_mode not in (PROMPTLESS_GATE_MODE, UNIFORM_RANDOM)
        tokenizer = load_tokenizer(base.folder) if has_tokenizer or prompts else None
        src = _sources(cfg, models)
        groups = groups_for(architecture.name, src)
        if options.preflight:
            _preflight(cfg, src, groups, output, options)
        src.gates = gate_vectors(cfg, base.folder, base.config, tokenizer, lambda: read(base.checkpoint, EMBED_WEIGHT),
                                 options.device)
        notes.append(f"output architecture: {architecture.name}")
        notes += _gate_notes(src.gates)
        job = Job(cfg, config_text, architecture, src, groups, tokenizer, notes)
        return _write(job, output, options, on_progress)
    finally:
        for m in models.values():
            m.checkpoint.close()


def _stream(groups, writer, watch, on_progress) -> None:
    from ..execute import Progress

    progress = Progress(total=sum(len(g.outputs) for g in groups), bytes_total=writer.total,
                        started=time.monotonic())
    for group in groups:
        for out, tensor in zip(group.outputs, group.make()):
            watch(out.name, tensor, tensor)
            writer.write(out.name, tensor)
            progress.done += 1
            progress.bytes_done += tensor.numel() * tensor.element_size()
            if on_progress is not None:
                on_progress(progress)


def _gate_notes(gates) -> list[str]:
    layers = degenerate_layers(gates)
    if not layers:
        return []
    which = "every layer" if len(layers) == gates.shape[0] else f"layer(s) {', '.join(map(str, layers))}"
    return [f"{which}: degenerate routing parameters, the prompts may be too similar (some experts will be "
            "underused)"]


@dataclass
class Job:
    """What the writing step needs: the config, its text and architecture, the sources, the groups."""

    cfg: MoeConfig
    config_text: str
    architecture: OutputArchitecture
    src: Sources
    groups: list
    tokenizer: object
    notes: list[str]


def _write(job: Job, output: Output, options: Options, on_progress) -> Result:
    from ..verify import Watch, before_publishing
    from ..write import ShardWriter
    from .out_config import write_config

    folder = output.create()
    try:
        writer = ShardWriter(folder, [Entry(o.name, o.shape, o.dtype) for g in job.groups for o in g.outputs],
                             options.out_shard_size)
        watch = Watch()
        try:
            _stream(job.groups, writer, watch, on_progress)
        finally:
            writer.abort()
        files = writer.finish({"mergelint_version": _version()})
        write_config(job.architecture, job.src.base.folder, job.cfg, job.src.out_dtype, folder)
        if options.copy_tokenizer:
            if job.tokenizer is None:
                job.notes.append("the base model has no tokenizer files to copy")
            else:
                job.tokenizer.save_pretrained(folder)
        if options.write_model_card:  # mergekit-moe writes the config only, no README
            with open(os.path.join(folder, SAVED_MOE_CONFIG), "w", encoding="utf-8") as f:
                f.write(job.config_text)
        verification = before_publishing(folder, watch, options.allow_nonfinite)
        output.publish(_version())
    except OSError as e:  # a full disk or a folder gone while writing
        output.discard()
        raise MergeError(f"{e.filename or output.path}: {e.strerror or e}; {output.left_as_it_was()}") from None
    except BaseException:
        output.discard()
        raise
    return Result(output.path, files, sum(len(g.outputs) for g in job.groups), writer.total, job.notes, verification)
