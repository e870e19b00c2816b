"""The declaration types every merge method module fills in.

A method is declared once, as data: the schema generator, the checker's rules,
completion, hover, `mergelint explain`, the planner and the executor all read these
objects. Nothing here imports torch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable


class Scope(str, enum.Enum):
    """Where mergekit 0.1.5 evaluates a parameter.

    SHARED: once per output tensor, never from a model's own `parameters:`
    (a shared parameter written under a model is silently ignored).
    INPUT: per input model, the base included.
    NON_BASE: per input model except the base, which never reads it.
    """

    SHARED = "shared"
    INPUT = "input"
    NON_BASE = "non_base"

    @property
    def per_model(self) -> bool:
        return self is not Scope.SHARED


class BasePolicy(str, enum.Enum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    IGNORED = "ignored"


class ParamType(str, enum.Enum):
    """The value type of a parameter, as mergekit 0.1.5's ParameterSpec declares it."""

    FLOAT = "float"
    BOOL = "bool"
    INT = "int"
    OPTIONAL_FLOAT = "optional_float"  # Optional[float]: null means "not set"

    @property
    def numeric(self) -> bool:
        return self in (ParamType.FLOAT, ParamType.OPTIONAL_FLOAT)


class OptionalTensors(str, enum.Enum):
    """What a method does with an optional weight (a non-layer tensor) that only some inputs
    have: mergekit 0.1.5's OptionalTensorPolicy."""

    ERROR = "error"  # the remaining inputs must still satisfy the method's contract
    PASSTHROUGH_SINGLETON = "passthrough_singleton"  # one input left: copy it
    PASSTHROUGH_BASE_SINGLETON = "passthrough_base_singleton"  # only the base left: copy it
    BASE_OR_SKIP = "base_or_skip"  # too few inputs: copy the base if it is the one left, else skip


class Consensus(str, enum.Enum):
    """How a task-arithmetic method elects one sign per element (mergekit's ConsensusMethod;
    its registry uses `sum` only)."""

    SUM = "sum"  # TIES: the sign of the summed weighted deltas; deltas of the other sign drop out


class Sparsification(str, enum.Enum):
    """How a task-arithmetic method thins each task vector (mergekit's SparsificationMethod)."""

    MAGNITUDE = "magnitude"  # keep the largest `density` share
    RANDOM = "random"  # DARE: keep each entry with probability `density`
    MAGNITUDE_OUTLIERS = "magnitude_outliers"  # breadcrumbs: drop the `gamma` largest, then the smallest
    DELLA_MAGPRUNE = "della_magprune"  # DELLA: keep-probability rising with magnitude (`epsilon`)

    @property
    def draws(self) -> bool:
        """True when it draws from the seeded generator."""
        return self in (Sparsification.RANDOM, Sparsification.DELLA_MAGPRUNE)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


@dataclass(frozen=True)
class Bounds:
    """The values a parameter makes sense with.

    mergekit itself declares no bounds: values outside these either fail deep
    in the math (severity "error") or silently do something surprising
    (severity "warning"); `why` says which, in the words shown to the user.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    severity: str = "warning"
    why: str = ""

    def contains(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            return False
        return True

    def describe(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        low = "-inf" if self.low is None else _fmt(self.low)
        high = "inf" if self.high is None else _fmt(self.high)
        return f"{left}{low}, {high}{right}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Param:
    name: str
    type: ParamType
    scope: Scope
    doc: str
    default: object = REQUIRED
    bounds: Bounds | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def default_text(self) -> str:
        if self.required:
            return "required"
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default)


class Counted(str, enum.Enum):
    """Which inputs an InputContract counts."""

    INPUTS = "inputs"  # every source, the base included
    NON_BASE = "non_base"  # every source but the base


@dataclass(frozen=True)
class InputContract:
    """How many inputs one output slice must have (checked by mergekit 0.1.5 at plan time)."""

    min: int = 1
    max: int | None = None
    counted: Counted = Counted.INPUTS

    def describe(self) -> str:
        what = "non-base model" if self.counted is Counted.NON_BASE else "model"
        if self.max == self.min:
            return f"exactly {self.min} {what}{'s' if self.min != 1 else ''}"
        if self.max is None:
            return f"at least {self.min} {what}{'s' if self.min != 1 else ''}"
        return f"{self.min} to {self.max} {what}s"


@dataclass(frozen=True)
class MergeMethod:
    name: str
    pretty_name: str
    doc: str
    base: BasePolicy
    contract: InputContract
    # the tensor math, merge(group, shared_params) -> tensor; it imports torch itself when called
    merge: Callable = field(repr=False)
    params: tuple[Param, ...] = ()
    reference_url: str = ""
    # True when the method takes task vectors (model - base): a merge whose
    # only model is the base then changes nothing.
    task_vectors: bool = False
    # True when the math holds every input's task vector at once (one working copy per input):
    # `mergelint plan`'s memory estimate counts them
    stacks_task_vectors: bool = False
    uses_rng: bool = False
    optional_tensors: OptionalTensors = OptionalTensors.ERROR
    # mergekit 0.1.5 scales by float32 factors: half-precision inputs come out float32
    float32_result: bool = False
    # the generalized task-arithmetic family's recipe (gta.task_arithmetic_method); None elsewhere
    consensus: Consensus | None = None
    sparsification: Sparsification | None = None

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def per_model_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.scope.per_model)
