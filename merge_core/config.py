"""A merge config as the engine runs it: `models:`/`slices:` normalised into slices.

The input is what PyYAML's `safe_load` gives (mergekit reads YAML the same way).
The checker has already reported anything malformed; what is left here are the
facts the engine needs, and clear errors for what it cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .references import ModelReference, ReferenceError, reference_from_value

DTYPES = ("bfloat16", "float16", "float32", "float64", "int64")


@dataclass
class Source:
    model: ModelReference
    layer_range: tuple[int, int] | None  # None: every layer (filled in by the planner)
    params: dict | None = None
    auto_added: bool = False  # the top-level base, appended as mergekit does under `models:`


@dataclass
class OutSlice:
    sources: list[Source]
    base: ModelReference | None = None  # the slice's own base_model, if any
    params: dict | None = None


@dataclass
class MergeConfig:
    method: str
    slices: list[OutSlice]
    uses_slices: bool  # written with `slices:` (the output's layer count can change)
    base: ModelReference | None = None
    params: dict | None = None
    module_params: dict | None = None
    dtype: str | None = None
    out_dtype: str | None = None
    tokenizer_source: Any = None  # "base" | "union" | ModelReference | None
    tokenizer: dict | None = None
    chat_template: str | None = None
    raw: dict = field(default_factory=dict)

    def slice_base(self, s: OutSlice) -> ModelReference | None:
        return s.base or self.base

    def referenced_models(self) -> list[ModelReference]:
        """Every model the config names, in order of first appearance (the base first)."""
        seen: list[ModelReference] = []
        if self.base is not None:
            seen.append(self.base)
        for s in self.slices:
            for src in s.sources:
                if src.model not in seen:
                    seen.append(src.model)
            if s.base is not None and s.base not in seen:
                seen.append(s.base)
        return seen


def _ref(value: Any, where: str) -> ModelReference:
    try:
        return reference_from_value(value)
    except ReferenceError as e:
        raise ConfigError(f"{where}: {e.message}") from None


def _params(value: Any, where: str) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: parameters must be a mapping")
    return value


def _dtype(value: Any, key: str) -> str | None:
    if value in (None, ""):
        return None
    name = str(value)
    if name.startswith("torch."):
        name = name[len("torch."):]
    if name not in DTYPES:
        raise ConfigError(f'{key}: Unimplemented dtype "{value}" (use one of {", ".join(DTYPES)})')
    return name


def _layer_range(value: Any, where: str) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConfigError(f"{where}: layer_range must be [start, end]")
    try:
        start, end = (int(v) if not isinstance(v, float) or v.is_integer() else None for v in value)
    except (TypeError, ValueError):
        start = end = None
    if start is None or end is None:
        raise ConfigError(f"{where}: layer_range must be two integers, got {value!r}")
    return start, end


def parse_config(data: Any) -> MergeConfig:
    if not isinstance(data, dict):
        raise ConfigError("a merge config must be a YAML mapping")
    method = data.get("merge_method")
    if not isinstance(method, str):
        raise ConfigError("merge_method is required")
    base = _ref(data["base_model"], "base_model") if data.get("base_model") is not None else None

    owner = data
    module_params = None
    modules = data.get("modules")
    if modules:
        if not isinstance(modules, dict) or set(modules) != {"default"}:
            raise ConfigError(
                "modules: mergelint runs single-module models only; write `models:` or `slices:` "
                "(or `modules: {default: ...}`)"
            )
        owner = modules["default"] or {}
        module_params = _params(owner.get("parameters"), "modules.default")

    models, slices = owner.get("models"), owner.get("slices")
    if bool(models) == bool(slices):
        raise ConfigError("Exactly one of 'models', 'slices', or 'modules' must be present")

    out: list[OutSlice] = []
    if models:
        sources = []
        for i, entry in enumerate(models):
            if not isinstance(entry, dict) or "model" not in entry:
                raise ConfigError(f"models[{i}]: each entry needs a `model`")
            sources.append(
                Source(_ref(entry["model"], f"models[{i}].model"), None,
                       _params(entry.get("parameters"), f"models[{i}]"))
            )
        if base is not None and all(s.model != base for s in sources):
            sources.append(Source(base, None, None, auto_added=True))
        out.append(OutSlice(sources))
    else:
        for n, sl in enumerate(slices):
            if not isinstance(sl, dict) or not sl.get("sources"):
                raise ConfigError(f"slices[{n}]: each slice needs `sources`")
            sources = []
            for i, entry in enumerate(sl["sources"]):
                where = f"slices[{n}].sources[{i}]"
                if not isinstance(entry, dict) or "model" not in entry:
                    raise ConfigError(f"{where}: each source needs a `model`")
                if entry.get("layer_range") is None:
                    raise ConfigError(f"{where}: layer_range is required in a slice")
                sources.append(
                    Source(_ref(entry["model"], f"{where}.model"),
                           _layer_range(entry["layer_range"], where),
                           _params(entry.get("parameters"), where))
                )
            slice_base = _ref(sl["base_model"], f"slices[{n}].base_model") if sl.get("base_model") else None
            out.append(OutSlice(sources, slice_base, _params(sl.get("parameters"), f"slices[{n}]")))

    tok_source = data.get("tokenizer_source")
    tokenizer = data.get("tokenizer")
    if tok_source is not None and tokenizer is not None:
        raise ConfigError("Cannot specify both tokenizer_source and tokenizer")
    if tok_source is not None and tok_source not in ("base", "union"):
        tok_source = _ref(tok_source, "tokenizer_source")
    if tokenizer is not None and not isinstance(tokenizer, dict):
        raise ConfigError("tokenizer must be a mapping")

    return MergeConfig(
        method=method,
        slices=out,
        uses_slices=not models,
        base=base,
        params=_params(data.get("parameters"), "parameters"),
        module_params=module_params,
        dtype=_dtype(data.get("dtype"), "dtype"),
        out_dtype=_dtype(data.get("out_dtype"), "out_dtype"),
        tokenizer_source=tok_source,
        tokenizer=tokenizer,
        chat_template=data.get("chat_template"),
        raw=data,
    )
