"""The output architecture mergekit-moe 0.1.5 picks (`scripts/moe.py: select_output_arch`), or why none.

Decided from facts only (the models' `model_type`, the shared experts and their prompts, the
gate mode and `architecture:`), so the checker can say it before a download and `run` builds
the same model. Each candidate's test mirrors its `supports_config`, reason for reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    input_types: tuple[str, ...]  # the `model_type`s it takes (all inputs of one of them)

    def refusal(self, shape: MoeShape) -> str | None:
        """Why this architecture cannot hold the merge (mergekit's own reason), or None."""
        return _REFUSALS[self.name](shape, self)

    def refusal_of_any_type(self, shape: MoeShape) -> str | None:
        """Why it cannot hold the merge whatever the models' types are (the shared experts alone), or None."""
        fitting = self.input_types[0]
        return self.refusal(replace(shape, base_type=fitting, expert_types=(fitting,) * len(shape.expert_types),
                                    shared_types=(fitting,) * len(shape.shared_types)))


def _same_type(shape: MoeShape, arch: OutputArchitecture, shared: bool) -> str | None:
    types = {shape.base_type, *shape.expert_types, *(shape.shared_types if shared else ())}
    if len(types) != 1:
        return f"{arch.name} requires all input models to have the same architecture (found {', '.join(sorted(types))})"
    if next(iter(types)) not in arch.input_types:
        return f"{arch.name} requires {' or '.join(arch.input_types)} input models, not {next(iter(types))}"
    return None


def _mixtral(shape: MoeShape, arch: OutputArchitecture) -> str | None:
    if shape.shared_types:
        return "Mixtral does not support shared experts"
    return _same_type(shape, arch, False)


def _deepseek(shape: MoeShape, arch: OutputArchitecture) -> str | None:
    if len(shape.shared_types) > 1:
        return "DeepSeek MoE does not support more than one shared expert"
    if any(shape.shared_prompted):
        return "DeepSeek MoE does not support gating shared experts (its shared expert has prompts)"
    return _same_type(shape, arch, True)


def _qwen(shape: MoeShape, arch: OutputArchitecture) -> str | None:
    if len(shape.shared_types) != 1:
        return "Qwen MoE requires exactly one shared expert"
    if shape.gate_mode != PROMPTLESS_GATE_MODE and not shape.shared_positive[0]:
        return "Qwen MoE requires the shared expert to have positive prompts"
    return _same_type(shape, arch, True)


def _qwen3(shape: MoeShape, arch: OutputArchitecture) -> str | None:
    if shape.shared_types:
        return "Qwen3 MoE does not support shared experts"
    return _same_type(shape, arch, True)


_REFUSALS = {"Mixtral": _mixtral, "DeepSeek MoE": _deepseek, "Qwen MoE": _qwen, "Qwen3 MoE": _qwen3}
# In mergekit's order of preference (`ALL_OUTPUT_ARCHITECTURES`); Mixtral wins whenever it fits.
ARCHITECTURES = (
    OutputArchitecture("Mixtral", "MixtralForCausalLM", "mixtral", ("llama", "mistral")),
    OutputArchitecture("DeepSeek MoE", "DeepseekForCausalLM", "deepseek", ("llama", "mistral")),
    OutputArchitecture("Qwen MoE", "Qwen2MoeForCausalLM", "qwen2_moe", ("llama", "mistral", "qwen2")),
    OutputArchitecture("Qwen3 MoE", "Qwen3MoeForCausalLM", "qwen3_moe", ("qwen3",)),
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


def select(shape: MoeShape, architecture: str | None = None, types_known: bool = True) -> OutputArchitecture:
    """The architecture mergekit-moe builds, or NoArchitecture. Without `types_known` (the models'
    config.json not at hand), only what refuses whatever the types are counts, and the choice
    returned is only the first that may fit."""
    allowed = candidates(architecture)
    if not allowed:
        raise NoArchitecture(f"No output architecture found that matches the given architecture: {architecture}", {})
    reasons = {a.name: a.refusal(shape) if types_known else a.refusal_of_any_type(shape) for a in allowed}
    fitting = [a for a in allowed if reasons[a.name] is None]
    if not fitting:
        raise NoArchitecture("No output architecture found that is compatible with the given models.",
                             {name: why for name, why in reasons.items() if why})
    return next((a for a in fitting if a.name == "Mixtral"), fitting[0])
