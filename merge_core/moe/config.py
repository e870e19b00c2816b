"""A mergekit-moe config read at value level, as `MoEMergeConfig.model_validate(yaml.safe_load(...))`
reads it (unknown keys ignored), and the refusals of mergekit's `is_bad_config`.

No pydantic: each value is checked here and a wrong one is a ConfigError naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from ..errors import ConfigError
from ..references import ModelReference, ModelReferenceError, reference_from_value
from .language import (
    ARCHITECTURE, DEFAULT_EXPERTS_PER_TOKEN, DEFAULT_GATE_MODE, EXPERTS, EXPERTS_PER_TOKEN, GATE_MODE, GATE_MODES,
    NEGATIVE_PROMPTS, POSITIVE_PROMPTS, PROMPTLESS_GATE_MODE, SHARED_EXPERTS, SOURCE_MODEL,
)


@dataclass(frozen=True)
class Expert:
    model: ModelReference
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    noise_scale: float | None = None
    residual_scale: float | None = None


@dataclass(frozen=True)
class MoeConfig:
    base: ModelReference
    experts: tuple[Expert, ...]
    gate_mode: str = DEFAULT_GATE_MODE
    dtype: str | None = None
    experts_per_token: int = DEFAULT_EXPERTS_PER_TOKEN
    shared: tuple[Expert, ...] = ()
    architecture: str | None = None

    def models(self) -> list[ModelReference]:
        """Every model read, the base first, each once."""
        refs = [self.base, *(e.model for e in self.experts + self.shared)]
        return list(dict.fromkeys(refs))


def _reference(value, where: str) -> ModelReference:
    try:
        return reference_from_value(value)
    except ModelReferenceError as e:
        raise ConfigError(f"{where}: {e.message}") from None


def _prompts(data: dict, key: str, where: str) -> tuple[str, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError(f"{where}.{key}: expected a list of strings")
    return tuple(value)


def _number(data: dict, key: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}.{key}: expected a number, not {value!r}")
    return float(value)


def _experts(value, key: str, required: bool) -> tuple[Expert, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of experts (each with {SOURCE_MODEL}:)")
    experts = []
    for i, data in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(data, dict) or SOURCE_MODEL not in data:
            raise ConfigError(f"{where}: an expert needs {SOURCE_MODEL}:")
        experts.append(Expert(_reference(data[SOURCE_MODEL], f"{where}.{SOURCE_MODEL}"),
                              _prompts(data, POSITIVE_PROMPTS, where), _prompts(data, NEGATIVE_PROMPTS, where),
                              _number(data, "noise_scale", where), _number(data, "residual_scale", where)))
    return tuple(experts)


def _optional_str(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{key}: expected a string, not {value!r}")
    return value


def parse_moe(text: str) -> MoeConfig:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError("a mergekit-moe config is a mapping (base_model:, experts:, ...)")
    if "base_model" not in data:
        raise ConfigError("base_model: required")
    gate_mode = _optional_str(data, GATE_MODE) or DEFAULT_GATE_MODE
    if gate_mode not in GATE_MODES:
        raise ConfigError(f"{GATE_MODE}: {gate_mode!r} is not one of {', '.join(GATE_MODES)}")
    per_token = data.get(EXPERTS_PER_TOKEN, DEFAULT_EXPERTS_PER_TOKEN)
    if isinstance(per_token, bool) or not isinstance(per_token, int):
        raise ConfigError(f"{EXPERTS_PER_TOKEN}: expected an integer, not {per_token!r}")
    return MoeConfig(_reference(data["base_model"], "base_model"), _experts(data.get(EXPERTS), EXPERTS, True),
                     gate_mode, _optional_str(data, "dtype"), per_token,
                     _experts(data.get(SHARED_EXPERTS), SHARED_EXPERTS, False), _optional_str(data, ARCHITECTURE))


def refusal(cfg: MoeConfig, allow_all_same: bool) -> str | None:
    """mergekit-moe's `is_bad_config` (and build's shared-prompt assertion): why it would exit, or None."""
    if cfg.experts_per_token < 1:
        return "Experts per token must be >= 1"
    if len(cfg.experts) < cfg.experts_per_token:
        return "Must include at least as many experts as experts_per_token."
    if cfg.shared and len({bool(e.positive) for e in cfg.shared}) > 1:
        return "Must specify prompts for all shared experts or none, not a mix"
    if cfg.gate_mode == PROMPTLESS_GATE_MODE:
        return None
    for i, expert in enumerate(cfg.experts):
        if not expert.positive:
            return f"Expert {i} has no positive prompts."
    if len({(e.positive, e.negative) for e in cfg.experts}) == 1:  # one expert too (mergekit: all() of none)
        return ("Your positive and negative prompts are identical for all experts. "
                "This will not produce a functioning MoE.")
    if not allow_all_same and len({e.model for e in cfg.experts}) == 1:
        return ("All of your expert models are the same. This will produce a model that uses more resources "
                "but gives the exact same output (pass --i-understand-this-is-not-useful-without-training "
                "to make it anyway, e.g. to train it)")
    return None
