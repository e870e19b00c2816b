"""What `mergelint plan` (and `run --dry-run`) reports: the plan's tensors and its totals.

The tensors are read off merge_core.plan's Plan as they are (the planner resolved gradients,
filters and precedence once); this module only names them for people and programs. Totals
come from merge_core.estimate. When a model cannot be found there is no Plan: the report
then says which models are missing and why, and marks every total unknown (None, `null` in
JSON), never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .estimate import Totals, estimate
from .plan import Plan, Task, TaskKind

KINDS = {TaskKind.MERGE: "merge", TaskKind.COPY: "copy (only input)", TaskKind.BUFFER: "copy (non-float buffer)"}


@dataclass
class Report:
    method: str
    tensors: list[dict]
    totals: Totals
    layers: list[dict] = field(default_factory=list)  # one row per output layer (and pre/post)
    missing: list[str] = field(default_factory=list)  # models that could not be found, why
    notes: list[str] = field(default_factory=list)
    shards: int | None = None
    out_layers: int | None = None
    read_by_model: dict[str, int] = field(default_factory=dict)  # the bytes read from each model, as written
    model_layers: dict[str, int] = field(default_factory=dict)  # each model's layer count, as written
    filters: dict[str, list[str]] = field(default_factory=dict)  # each parameter's filters (the plot's lines)

    def as_json(self) -> dict:
        return {
            "method": self.method,
            "tensors": self.tensors,
            "totals": self.totals.as_json(),
            "read_bytes_by_model": self.read_by_model,
            "missing_models": self.missing,
            "notes": self.notes,
        }


def tensor_entry(plan: Plan, task: Task, layer: int | str) -> dict:
    """One output tensor as the JSON format lists it; models named as written in the config."""
    return {
        "name": task.name,
        "method": plan.method.name,
        "kind": task.kind.value,
        "layer": layer if isinstance(layer, int) else None,
        "t": task.t,
        "shape": list(task.shape),
        "dtype": task.dtype,
        "sources": [{"model": inp.model.label, "tensor": inp.name} for inp in task.inputs],
        "parameters": dict(task.shared),
        "model_parameters": {inp.model.label: dict(p) for inp, p in zip(task.inputs, task.per_input)},
        "base": task.inputs[task.base].model.label if task.base is not None else None,
    }


def _numbered(layout) -> re.Pattern | None:
    """The layer index in a tensor name of this layout's stacks."""
    prefixes = [s.prefix for s in ([layout.stack] if layout.stack else []) + list(layout.other_stacks)]
    if not prefixes:
        return None
    return re.compile("^(?:" + "|".join(re.escape(p) for p in prefixes) + r")(\d+)\.")


def _index(pattern: re.Pattern | None, name: str) -> int | None:
    m = pattern.match(name) if pattern else None
    return int(m.group(1)) if m else None


def place(plan: Plan, task: Task) -> int | str:
    """Where an output tensor sits: its output layer index, or "pre"/"post" (embeddings, head)."""
    index = _index(_numbered(plan.donor.layout), task.name)
    if index is not None:
        return index
    return "post" if any(task.name in m.layout.post for m in plan.models.values()) else "pre"


def from_plan(plan: Plan, *, device: str = "cpu", shard_size: int) -> Report:
    tensors = [tensor_entry(plan, task, place(plan, task)) for task in plan.tasks]
    totals, shards = estimate(plan, device=device, shard_size=shard_size)
    return Report(plan.method.name, tensors, totals, layer_rows(plan), notes=list(plan.notes),
                  shards=shards, out_layers=plan.out_layers, read_by_model=read_by_model(plan),
                  model_layers={m.label: m.layout.num_layers for m in plan.models.values()},
                  filters=filters(plan.config))


def read_by_model(plan: Plan) -> dict[str, int]:
    """What each model gives the merge: the bytes of its input tensors (and LoRA factors) read."""
    found: dict[str, int] = {}
    for task in plan.tasks:
        for inp in task.inputs:
            found[inp.model.label] = found.get(inp.model.label, 0) + inp.nbytes
    return found


def filters(cfg) -> dict[str, list[str]]:
    """The filters the config gives each parameter, at any level, in order of appearance."""
    levels = [cfg.params, *(m.params for m in cfg.modules), *(s.params for s in cfg.slices),
              *(src.params for s in cfg.slices for src in s.sources)]
    found: dict[str, list[str]] = {}
    for level in levels:
        for name, setting in (level or {}).items():
            for entry in setting if isinstance(setting, list) else [setting]:
                flt = entry.get("filter") if isinstance(entry, dict) else None
                if isinstance(flt, str) and flt != "*" and flt not in found.setdefault(name, []):
                    found[name].append(flt)
    return found


def unknown(method: str, missing: list[str]) -> Report:
    """The report of a config whose models are not all found: nothing is planned, nothing guessed."""
    return Report(method, [], Totals(), missing=missing)


def layer_rows(plan: Plan) -> list[dict]:
    """Per output layer (pre weights, each layer, post weights): its sources (model, input layer) and every parameter's
    values there, one list of values per (parameter, model), to read gradients and filters at a glance."""
    rows: dict = {}
    for task in plan.tasks:
        key = place(plan, task)
        row = rows.setdefault(key, {"layer": key, "t": task.t, "tensors": 0, "bytes": 0, "sources": [],
                                    "values": {}})
        row["tensors"] += 1
        row["bytes"] += task.nbytes
        for inp in task.inputs:
            where = _index(_numbered(inp.model.layout), inp.name) if isinstance(key, int) else None
            source = {"model": inp.model.label, "layer": where}
            if source not in row["sources"]:
                row["sources"].append(source)
        for name, value in task.shared.items():
            row["values"].setdefault(name, []).append(value)
        for inp, params in zip(task.inputs, task.per_input):
            for name, value in params.items():
                row["values"].setdefault(f"{name}[{inp.model.label}]", []).append(value)
    layers = sorted(k for k in rows if isinstance(k, int))
    return [rows[k] for k in ["pre", *layers, "post"] if k in rows]


def missing_models(cfg, options) -> list[str]:
    """Why each model or adapter of the config cannot be found (locally, or on the Hub with --online)."""
    from .checkpoint import locate
    from .errors import ModelError

    missing = []
    for ref in cfg.referenced_models():
        for path, what in ((ref.model, "model"), (ref.lora, "LoRA adapter")):
            if path is None:
                continue
            try:
                locate(path, what, online=options.online, allow_pickle=options.allow_pickle)
            except ModelError as e:
                missing.append(str(e))
    return missing


def make(config_text: str, options) -> Report:
    """The report of a config (run.Options): planned from headers, or `unknown` when models are missing."""
    from .run import build_plan, read_config

    cfg = read_config(config_text, options)
    missing = missing_models(cfg, options)
    if missing:
        return unknown(cfg.method, missing)
    plan = build_plan(config_text, options)
    try:
        return from_plan(plan, device=options.device, shard_size=options.out_shard_size)
    finally:
        for m in plan.models.values():
            m.close()
