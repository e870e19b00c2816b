"""The plan: every output tensor, its inputs, method and parameters, decided before any math.

Planning reads only headers and configs. It follows mergekit 0.1.5's planner:
- `models:` is one slice over every layer (the base appended when not listed);
- each output slice's layers are numbered on from the previous slice's, and its
  gradients are evaluated at t = i / (n - 1) (t = 1 for a one-layer slice);
- pre weights (embeddings) come from the first slice's sources, post weights (final
  norm, output head) from the last slice's, both at t = 0;
- parameters: per-model (source) settings, then the slice's, the module's, the top level's,
  then the method's default; shared (method-level) parameters never read per-model
  settings and are matched against the output tensor's name, per-model ones against
  that model's input tensor name; `non_base` parameters are not read for the base;
- tensors are processed in the order mergekit's scheduler runs them (by input name), so a
  seeded random method draws in the same order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable

from . import values
from .arch import Layout
from .checkpoint import FLOATING, Checkpoint, TensorInfo, nbytes
from .config import MergeConfig, Module, OutSlice
from .errors import ConfigError, ModelError
from .lora import Adapter, Patch
from .method_kit.spec import BasePolicy, Counted, MergeMethod, OptionalTensors, Scope
from .methods import METHODS
from .modules import MODULAR, ModuleSpec, module_layout, modules_of
from .references import ModelReference


@dataclass(eq=False)
class Model:
    """One input model (a base and, for `model+lora`, its adapter) as the engine sees it."""

    ref: ModelReference
    folder: str
    config: dict
    checkpoint: Checkpoint
    layout: Layout
    adapter: Adapter | None = None

    @property
    def label(self) -> str:
        return str(self.ref)

    def close(self) -> None:
        self.checkpoint.close()
        if self.adapter is not None:
            self.adapter.close()


@dataclass(eq=False)
class Input:
    model: Model
    name: str  # the tensor's name in that model's checkpoint
    info: TensorInfo
    patch: Patch | None = None

    @property
    def nbytes(self) -> int:
        return self.info.nbytes + sum(t.nbytes for t in (self.patch.tensors if self.patch else ()))


class TaskKind(str, enum.Enum):
    MERGE = "merge"
    COPY = "copy"  # one input left of an optional weight, copied as the method's policy says
    BUFFER = "buffer"  # a non-float tensor: copied, and the inputs must agree


@dataclass(eq=False)
class Task:
    name: str  # output tensor name
    inputs: list[Input]  # the inputs that have the tensor, source order
    base: int | None  # index of the base in inputs (None: no base, or the method ignores it)
    shared: dict[str, Any]
    per_input: list[dict[str, Any]]
    kind: TaskKind
    shape: tuple[int, ...]
    dtype: str  # output dtype
    load_dtype: str | None  # the config's `dtype`: inputs are cast to it when read
    vocab_axis: int | None
    truncate: int | None = None  # rows kept along the vocabulary axis (--unsafe-truncate-embeddings)
    label: str = ""
    t: float = 0.0
    order: int = 0
    permute: Any = None  # vocabulary permutation (tokenizer_source), per input
    base_ref: ModelReference | None = None  # the slice's base model (vocabulary defaults)

    @property
    def nbytes(self) -> int:
        return nbytes(self.dtype, self.shape)

    @property
    def read_bytes(self) -> int:
        return sum(i.nbytes for i in self.inputs)


@dataclass
class Plan:
    config: MergeConfig
    method: MergeMethod
    models: dict[ModelReference, Model]
    tasks: list[Task]
    donor: Model
    out_layers: int | None  # layer count of the output when slices change it
    # named modules: (config.json key of a module's layer count, the output's count), as mergekit sets them
    module_layers: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tokenizer: Any = None  # a built vocabulary (tokenizer_source), if any

    @property
    def read_bytes(self) -> int:
        return sum(t.read_bytes for t in self.tasks)

    @property
    def write_bytes(self) -> int:
        return sum(t.nbytes for t in self.tasks)


def check_inputs(method: MergeMethod, ids: list, base, group: str) -> None:
    """mergekit 0.1.5's input contract check, with its messages."""
    label = f" for {group}"
    if len(set(ids)) != len(ids):
        raise ConfigError(f"Duplicate merge inputs{label}")
    if method.base is BasePolicy.IGNORED:
        base = None
    has_base = base is not None and base in ids
    if base is not None and not has_base:
        raise ConfigError(f"Base input is not present in merge inputs{label}")
    if method.base is BasePolicy.REQUIRED and not has_base:
        raise ConfigError(f"Merge method requires a base input{label}")
    c = method.contract
    count = len(ids)
    if c.counted is Counted.INPUTS:
        _count("inputs", count, c.min, c.max, label)
    else:
        _count("inputs", count, 1, None, label)
        _count("non-base inputs", count - int(has_base), c.min, c.max, label)


def _count(what: str, count: int, low: int, high: int | None, label: str) -> None:
    if count < low:
        raise ConfigError(f"Merge method requires at least {low} {what}{label}; got {count}")
    if high is not None and count > high:
        exp = f"exactly {low}" if low == high else f"at most {high}"
        raise ConfigError(f"Merge method requires {exp} {what}{label}; got {count}")


def layer_t(index: int, length: int) -> float:
    """Where layer `index` of an `length`-layer slice reads its gradients (mergekit's t)."""
    return index / (length - 1) if length > 1 else 1


def _dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


def promote(names: list[str]) -> str:
    import torch

    out = getattr(torch, names[0])
    for n in names[1:]:
        out = torch.promote_types(out, getattr(torch, n))
    return _dtype_name(out)


class Planner:
    def __init__(self, cfg: MergeConfig, models: dict[ModelReference, Model], *,
                 unsafe_truncate_embeddings: bool = False, tokenizer=None):
        self.cfg = cfg
        self.models = models
        method = METHODS.get(cfg.method)
        if method is None:
            raise ConfigError(f"Unimplemented merge method {cfg.method}")
        self.method = method
        self.truncate = unsafe_truncate_embeddings
        self.tokenizer = tokenizer
        self.tasks: list[Task] = []
        self.notes: list[str] = []
        self._module_params: dict | None = None  # the module being planned

    # -- parameters ---------------------------------------------------------------------

    def _levels(self, s: OutSlice, model: ModelReference | None) -> list[dict | None]:
        levels: list[dict | None] = []
        if model is not None:
            levels.extend(src.params for src in s.sources if src.model == model)
        levels.extend([s.params, self._module_params, self.cfg.params])
        return levels

    def _resolve(self, s: OutSlice, out_name: str, inputs: list[tuple[ModelReference, str]], t: float):
        base = self.cfg.slice_base(s)
        shared = {
            p.name: values.resolve(p.name, p.type, self._levels(s, None), out_name, t,
                                   required=p.required, default=p.default, location=out_name)
            for p in self.method.params if p.scope is Scope.SHARED
        }
        per_input = []
        for ref, in_name in inputs:
            per_input.append({
                p.name: values.resolve(p.name, p.type, self._levels(s, ref), in_name, t,
                                       required=p.required, default=p.default, location=f"{ref}.{in_name}")
                for p in self.method.params
                if p.scope.per_model and (ref != base or p.scope is Scope.INPUT)
            })
        return shared, per_input

    # -- tensors --------------------------------------------------------------------------

    def _lookup(self, model: Model, name: str, optional: bool) -> Input | None:
        info = model.checkpoint.tensors.get(name)
        if info is None:
            if optional:
                return None
            raise ModelError(f"Tensor {name} required but not present in model {model.label}")
        patch = model.adapter.patches.get(info.name) if model.adapter else None
        return Input(model, info.name, info, patch)

    def _tied(self, model: Model, name: str, present: list[Input]) -> Input | None:
        """A tied-embedding model lacks its output head: read its input embedding instead,
        as mergekit does (when other inputs show the missing tensor is a vocabulary matrix)."""
        if not model.layout.tied or not any(name in i.model.layout.vocab_tensors for i in present):
            return None
        shapes = {k: v.shape for k, v in model.checkpoint.tensors.items()}
        emb = model.layout.input_embedding(shapes)
        if emb is None or emb == name:
            return None
        if any(tuple(i.info.shape[1:]) != tuple(shapes[emb][1:]) for i in present):
            return None
        return self._lookup(model, emb, optional=True)

    def _plan_tensor(self, s: OutSlice, out_name: str, names: list[tuple[ModelReference, str]], t: float,
                     optional: bool) -> None:
        base_ref = self.cfg.slice_base(s)
        present: list[Input] = []
        refs: list[ModelReference] = []
        found = [self._lookup(self.models[ref], in_name, optional) for ref, in_name in names]
        if optional and any(f is not None for f in found):
            known = [f for f in found if f is not None]
            found = [f if f is not None else self._tied(self.models[ref], in_name, known)
                     for f, (ref, in_name) in zip(found, names)]
        for inp, (ref, _) in zip(found, names):
            if inp is not None:
                present.append(inp)
                refs.append(ref)
        if not present:
            return
        # mergekit resolves every parameter for every source, present or not
        shared, per_input_all = self._resolve(s, out_name, names, t)
        per_input = [per_input_all[i] for i, (ref, _) in enumerate(names) if ref in refs]
        base_idx = refs.index(base_ref) if (base_ref in refs and self.method.base is not BasePolicy.IGNORED) else None
        kind = TaskKind.MERGE
        if len(present) < len(names):
            only = len(present) == 1
            is_base = only and base_idx == 0
            policy = self.method.optional_tensors
            if (policy is OptionalTensors.PASSTHROUGH_SINGLETON and only) or (
                policy is OptionalTensors.PASSTHROUGH_BASE_SINGLETON and is_base
            ):
                kind = TaskKind.COPY
            elif policy is OptionalTensors.BASE_OR_SKIP and len(present) < self.method.contract.min:
                if is_base:
                    kind = TaskKind.COPY
                else:
                    self.notes.append(f"Skipping optional weight {out_name}: insufficient inputs")
                    return
        if kind is TaskKind.MERGE:
            check_inputs(self.method, refs, base_ref, out_name)

        load = self.cfg.dtype
        dtypes = [load or i.info.dtype for i in present]
        shapes = [tuple(i.info.shape) for i in present]
        vocab_axis = 0 if any(i.info.name in i.model.layout.vocab_tensors for i in present) else None
        if any(d not in FLOATING for d in dtypes):
            kind = TaskKind.BUFFER
        truncate = None
        permute = None
        shape = shapes[0]
        if self.tokenizer is not None and vocab_axis is not None and kind is not TaskKind.BUFFER:
            permute = self.tokenizer
            shape = (self.tokenizer.out_size, *shapes[0][1:])
            if any(s[1:] != shapes[0][1:] for s in shapes):
                raise ModelError(f"Non-vocabulary dimensions must match for {out_name}: {shapes}")
        elif any(s != shapes[0] for s in shapes):
            if self.truncate and vocab_axis is not None and all(s[1:] == shapes[0][1:] for s in shapes):
                truncate = min(s[0] for s in shapes)
                shape = (truncate, *shapes[0][1:])
                self.notes.append(f"UNSAFE vocabulary truncation for {out_name}: {shapes} -> {shape}")
            else:
                hint = ""
                if vocab_axis is not None:
                    hint = (" Align vocabulary axes with tokenizer configuration before merging (for example, "
                            "tokenizer_source: base), or pass --unsafe-truncate-embeddings if the token ids agree.")
                detail = ", ".join(f"{i.model.label}: {list(s)}" for i, s in zip(present, shapes))
                raise ModelError(f"Tensor size mismatch for {out_name}: {detail}.{hint}")
        if kind is TaskKind.BUFFER:
            out_dtype = dtypes[0]
        else:
            out_dtype = promote(dtypes)
            if kind is TaskKind.MERGE and self.method.float32_result:
                out_dtype = promote([out_dtype, "float32"])
        if self.cfg.out_dtype:
            out_dtype = self.cfg.out_dtype
        self.tasks.append(Task(
            name=out_name, inputs=present, base=base_idx, shared=shared, per_input=per_input, kind=kind,
            shape=shape, dtype=out_dtype, load_dtype=load, vocab_axis=vocab_axis, truncate=truncate,
            label=max(i.name for i in present), t=t, order=len(self.tasks), permute=permute, base_ref=base_ref,
        ))

    # -- structure ------------------------------------------------------------------------

    def _source_range(self, layout: Layout, model: Model, src) -> tuple[int, int]:
        n = layout.num_layers
        start, end = src.layer_range if src.layer_range is not None else (0, n)
        if not (0 <= start <= end <= n):
            raise ConfigError(f"layer_range [{start}, {end}] of {model.label} is outside its {n} layers")
        return start, end

    def plan(self) -> Plan:
        cfg = self.cfg
        donor = self.models[cfg.referenced_models()[0]]
        out_layers = None
        module_layers: list[tuple[str, int]] = []
        if [m.name for m in cfg.modules] == ["default"]:
            module = cfg.modules[0]
            count = self._plan_module(module, donor, lambda ref: self.models[ref].layout)
            out_layers = count if module.uses_slices else None
        else:
            for module in cfg.modules:
                spec = self._module_spec(donor, module.name)
                layouts = {ref: module_layout(m.config, {k: v.shape for k, v in m.checkpoint.tensors.items()}, spec)
                           for ref, m in self.models.items()}
                for ref in dict.fromkeys(src.model for s in module.slices for src in s.sources):
                    if not (layouts[ref].stack or layouts[ref].pre or layouts[ref].post):
                        raise ModelError(f"modules.{module.name}: {ref} has no tensors named {spec.prefix}*; "
                                         "its checkpoint names this module's weights otherwise")
                count = self._plan_module(module, donor, layouts.__getitem__)
                if spec.layers_key:
                    module_layers.append((spec.layers_key, count))

        self.tasks.sort(key=lambda task: (task.label, task.order))
        seen: set[str] = set()
        for task in self.tasks:
            if task.name in seen:
                raise ConfigError(f"the output would contain tensor {task.name} twice")
            seen.add(task.name)
        return Plan(
            config=cfg, method=self.method, models=self.models, tasks=self.tasks, donor=donor,
            out_layers=out_layers, module_layers=module_layers, notes=self.notes, tokenizer=self.tokenizer,
        )

    def _module_spec(self, donor: Model, name: str) -> ModuleSpec:
        specs = modules_of(donor.config)
        kind = donor.config.get("model_type") or "this"
        if specs is None:
            known = ", ".join(sorted(MODULAR))
            raise ConfigError(
                f"modules: {donor.label} is a single-module model ({kind}): write `models:` or `slices:` "
                f"(or `modules: {{default: ...}}`); named modules are for {known} models"
            )
        for spec in specs:
            if spec.name == name:
                return spec
        raise ConfigError(f"modules: {kind} models have no module {name!r}; "
                          f"their modules are {', '.join(sp.name for sp in specs)}")

    def _plan_module(self, module: Module, donor: Model, layout_of: Callable[[ModelReference], Layout]) -> int:
        """Plan one module's tensors; returns its output layer count."""
        cfg = self.cfg
        self._module_params = module.params
        slices = module.slices
        for n, s in enumerate(slices):
            check_inputs(self.method, [src.model for src in s.sources], cfg.slice_base(s),
                         f"{module.name}.slices[{n}]")

        first, last = slices[0], slices[-1]
        for src in first.sources:
            if module.uses_slices and layout_of(src.model).other_stacks:
                raise ConfigError(
                    f"{src.model} has several layer stacks "
                    f"({', '.join(st.prefix.rstrip('.') for st in layout_of(src.model).other_stacks)} "
                    "besides the main one): slices work on single-stack models only; use `models:`"
                )

        # pre weights: the first slice's sources, t = 0
        for name in _union(layout_of(src.model).pre for src in first.sources):
            self._plan_tensor(first, name, [(src.model, name) for src in first.sources], 0.0, optional=True)

        out_index = 0
        out_stack = layout_of(donor.ref).stack
        for s in slices:
            ranges = [self._source_range(layout_of(src.model), self.models[src.model], src) for src in s.sources]
            lengths = {e - b for b, e in ranges}
            if len(lengths) != 1:
                raise ConfigError("All inputs to a slice must contain the same number of layers")
            length = lengths.pop()
            for idx in range(length):
                t = layer_t(idx, length)
                rests: list[str] = []
                for src, (b, _) in zip(s.sources, ranges):
                    stack = layout_of(src.model).stack
                    for rest in (stack.layers.get(b + idx, {}) if stack else {}):
                        if rest not in rests:
                            rests.append(rest)
                for rest in rests:
                    names = []
                    for src, (b, _) in zip(s.sources, ranges):
                        stack = layout_of(src.model).stack
                        names.append((src.model, stack.name(b + idx, rest)))
                    out_name = (out_stack or layout_of(s.sources[0].model).stack).name(out_index, rest)
                    self._plan_tensor(s, out_name, names, t, optional=False)
                out_index += 1

        # further layer stacks (models: syntax only): each is its own module with its own t
        if not module.uses_slices:
            s = slices[0]
            for stack in layout_of(donor.ref).other_stacks:
                for idx in range(stack.count):
                    t = layer_t(idx, stack.count)
                    for rest in stack.layers[idx]:
                        name = stack.name(idx, rest)
                        self._plan_tensor(s, name, [(src.model, name) for src in s.sources], t, optional=False)

        # post weights: the last slice's sources, t = 0
        for name in _union(layout_of(src.model).post for src in last.sources):
            self._plan_tensor(last, name, [(src.model, name) for src in last.sources], 0.0, optional=True)
        return out_index


def _union(lists) -> list[str]:
    out: list[str] = []
    for names in lists:
        for n in names:
            if n not in out:
                out.append(n)
    return out
