"""A merge config as the engine runs it: `models:`/`slices:` normalised into slices.

The input is what PyYAML's `safe_load` gives (mergekit reads YAML the same way).
The checker has already reported anything malformed; what is left here are the
facts the engine needs, and clear errors for what it cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError
from .language import DTYPES, is_tokenizer_keyword
from .references import ModelReference, ModelReferenceError, reference_from_value


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
class Module:
    """One module's part of the config (`default` for a single-module model)."""

    name: str
    slices: list[OutSlice]
    uses_slices: bool  # written with `slices:` (the output's layer count can change)
    params: dict | None = None  # the module's own `parameters:`


@dataclass
class MergeConfig:
    method: str
    modules: list[Module]  # in the config's order
    base: ModelReference | None = None
    params: dict | None = None
    dtype: str | None = None
    out_dtype: str | None = None
    tokenizer_source: Any = None  # "base" | "union" | ModelReference | None
    tokenizer: dict | None = None
    chat_template: str | None = None
    raw: dict = field(default_factory=dict)

    def slice_base(self, s: OutSlice) -> ModelReference | None:
        return s.base or self.base

    @property
    def slices(self) -> list[OutSlice]:
        """Every module's slices."""
        return [s for m in self.modules for s in m.slices]

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
    except ModelReferenceError as e:
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


def _module(name: str, owner: Any, base: ModelReference | None, where: str, *, own_params: bool) -> Module:
    """`models:` or `slices:` of the top level or of one module."""
    at = f"{where}." if where else ""
    if not isinstance(owner, dict):
        raise ConfigError(f"{where}: must be a mapping with `models:` or `slices:`")
    models, slices = owner.get("models"), owner.get("slices")
    if bool(models) == bool(slices):
        raise ConfigError(f"{where}: exactly one of 'models' or 'slices' must be present" if where else
                          "Exactly one of 'models', 'slices', or 'modules' must be present")
    out: list[OutSlice] = []
    if models:
        sources = []
        for i, entry in enumerate(models):
            if not isinstance(entry, dict) or "model" not in entry:
                raise ConfigError(f"{at}models[{i}]: each entry needs a `model`")
            sources.append(
                Source(_ref(entry["model"], f"{at}models[{i}].model"), None,
                       _params(entry.get("parameters"), f"{at}models[{i}]"))
            )
        if base is not None and all(s.model != base for s in sources):
            sources.append(Source(base, None, None, auto_added=True))
        out.append(OutSlice(sources))
    else:
        for n, sl in enumerate(slices):
            if not isinstance(sl, dict) or not sl.get("sources"):
                raise ConfigError(f"{at}slices[{n}]: each slice needs `sources`")
            sources = []
            for i, entry in enumerate(sl["sources"]):
                src_at = f"{at}slices[{n}].sources[{i}]"
                if not isinstance(entry, dict) or "model" not in entry:
                    raise ConfigError(f"{src_at}: each source needs a `model`")
                if entry.get("layer_range") is None:
                    raise ConfigError(f"{src_at}: layer_range is required in a slice")
                sources.append(
                    Source(_ref(entry["model"], f"{src_at}.model"),
                           _layer_range(entry["layer_range"], src_at),
                           _params(entry.get("parameters"), src_at))
                )
            slice_base = _ref(sl["base_model"], f"{at}slices[{n}].base_model") if sl.get("base_model") else None
            out.append(OutSlice(sources, slice_base, _params(sl.get("parameters"), f"{at}slices[{n}]")))
    params = _params(owner.get("parameters"), where) if own_params else None
    return Module(name, out, not models, params)


def parse_config(data: Any) -> MergeConfig:
    if not isinstance(data, dict):
        raise ConfigError("a merge config must be a YAML mapping")
    method = data.get("merge_method")
    if not isinstance(method, str):
        raise ConfigError("merge_method is required")
    base = _ref(data["base_model"], "base_model") if data.get("base_model") is not None else None

    modules = data.get("modules")
    if modules:
        if not isinstance(modules, dict):
            raise ConfigError("modules must be a mapping of module names to their models or slices")
        parsed = [_module(str(name), body or {}, base, f"modules.{name}", own_params=True)
                  for name, body in modules.items()]
    else:
        parsed = [_module("default", data, base, "", own_params=False)]

    tok_source = data.get("tokenizer_source")
    tokenizer = data.get("tokenizer")
    if tok_source is not None and tokenizer is not None:
        raise ConfigError("Cannot specify both tokenizer_source and tokenizer")
    if tok_source is not None and not is_tokenizer_keyword(tok_source):
        tok_source = _ref(tok_source, "tokenizer_source")
    if tokenizer is not None and not isinstance(tokenizer, dict):
        raise ConfigError("tokenizer must be a mapping")

    return MergeConfig(
        method=method,
        modules=parsed,
        base=base,
        params=_params(data.get("parameters"), "parameters"),
        dtype=_dtype(data.get("dtype"), "dtype"),
        out_dtype=_dtype(data.get("out_dtype"), "out_dtype"),
        tokenizer_source=tok_source,
        tokenizer=tokenizer,
        chat_template=data.get("chat_template"),
        raw=data,
    )
