"""The output architecture mergekit-moe 0.1.5 picks (`scripts/moe.py: select_output_arch`), or why none.

Decided from facts only (the models' `model_type`, the shared experts and their prompts, the
gate mode and `architecture:`), so the checker can say it before a download and `run` builds
the same model. Each candidate's test mirrors its `supports_config`, reason for reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from .language import PROMPTLESS_GATE_MODE


@dataclass(frozen=True)
class MoeShape:
    """What the choice reads: `model_types` of the base, the experts, then the shared experts."""

    base_type: str
    expert_types: tuple[str, ...]
    shared_types: tuple[str, ...] = ()
    shared_prompted: tuple[bool, ...] = ()  # per shared expert: positive or negative prompts written
    shared_positive: tuple[bool, ...] = ()  # per shared expert: positive prompts written
    gate_mode: str = "hidden"


@dataclass(frozen=True)
class OutputArchitecture:
    name: str  # as mergekit names it (and matches `architecture:` against)
    hf_architecture: str  # config.json's `architectures`
    model_type: str

    def refusal(self, shape: MoeShape) -> str | None:
        """Why this architecture cannot hold the merge (mergekit's own reason), or None."""
        return _REFUSALS[self.name](shape)


def _same_type(shape: MoeShape, allowed: tuple[str, ...], shared: bool, label: str) -> str | None:
    types = {shape.base_type, *shape.expert_types, *(shape.shared_types if shared else ())}
    if len(types) != 1:
        return f"{label} requires all input models to have the same architecture (found {', '.join(sorted(types))})"
    if next(iter(types)) not in allowed:
        return f"{label} requires {' or '.join(allowed)} input models, not {next(iter(types))}"
    return None


def _mixtral(shape: MoeShape) -> str | None:
    if shape.shared_types:
        return "Mixtral does not support shared experts"
    return _same_type(shape, ("llama", "mistral"), False, "Mixtral")


def _deepseek(shape: MoeShape) -> str | None:
    if len(shape.shared_types) > 1:
        return "DeepSeek MoE does not support more than one shared expert"
    if any(shape.shared_prompted):
        return "DeepSeek MoE does not support gating shared experts (its shared expert has prompts)"
    return _same_type(shape, ("llama", "mistral"), True, "DeepSeek MoE")


def _qwen(shape: MoeShape) -> str | None:
    if len(shape.shared_types) != 1:
        return "Qwen MoE requires exactly one shared expert"
    if shape.gate_mode != PROMPTLESS_GATE_MODE and not shape.shared_positive[0]:
        return "Qwen MoE requires the shared expert to have positive prompts"
    return _same_type(shape, ("llama", "mistral", "qwen2"), True, "Qwen MoE")


def _qwen3(shape: MoeShape) -> str | None:
    if shape.shared_types:
        return "Qwen3 MoE does not support shared experts"
    return _same_type(shape, ("qwen3",), True, "Qwen3 MoE")


_REFUSALS = {"Mixtral": _mixtral, "DeepSeek MoE": _deepseek, "Qwen MoE": _qwen, "Qwen3 MoE": _qwen3}
# In mergekit's order of preference (`ALL_OUTPUT_ARCHITECTURES`); Mixtral wins whenever it fits.
ARCHITECTURES = (
    OutputArchitecture("Mixtral", "MixtralForCausalLM", "mixtral"),
    OutputArchitecture("DeepSeek MoE", "DeepseekForCausalLM", "deepseek"),
    OutputArchitecture("Qwen MoE", "Qwen2MoeForCausalLM", "qwen2_moe"),
    OutputArchitecture("Qwen3 MoE", "Qwen3MoeForCausalLM", "qwen3_moe"),
)
ARCHITECTURE_NAMES = tuple(a.name for a in ARCHITECTURES)


class NoArchitecture(ValueError):
    """mergekit-moe would exit with this error; `reasons` says why each candidate refused."""

    def __init__(self, message: str, reasons: dict[str, str]):
        super().__init__(message)
        self.reasons = reasons


def candidates(architecture: str | None) -> tuple[OutputArchitecture, ...]:
    """Those `architecture:` (a case-insensitive prefix of the name) allows."""
    if not architecture:
        return ARCHITECTURES
    return tuple(a for a in ARCHITECTURES if a.name.lower().startswith(architecture.lower()))


def select(shape: MoeShape, architecture: str | None = None) -> OutputArchitecture:
    allowed = candidates(architecture)
    if not allowed:
        raise NoArchitecture(f"No output architecture found that matches the given architecture: {architecture}", {})
    reasons = {a.name: a.refusal(shape) for a in allowed}
    fitting = [a for a in allowed if reasons[a.name] is None]
    if not fitting:
        raise NoArchitecture("No output architecture found that is compatible with the given models.",
                             {name: why for name, why in reasons.items() if why})
    return next((a for a in fitting if a.name == "Mixtral"), fitting[0])
