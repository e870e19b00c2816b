"""Parameters that several methods declare with the same meaning.

Each is a factory so a method can give its own default; the doc text lives here once.
"""

from __future__ import annotations

from .spec import REQUIRED, Bounds, Param, Scope


def weight(scope: Scope = Scope.NON_BASE) -> Param:
    return Param(
        "weight",
        "float",
        scope,
        "How much this model contributes. Required for every model that is not the base; "
        "a list of numbers is a per-layer gradient, not one weight per model.",
        default=REQUIRED,
    )


def normalize(default: bool) -> Param:
    return Param(
        "normalize",
        "bool",
        Scope.SHARED,
        "Divide the result by the sum of the weights, so weights act as proportions. "
        "Turn it off when weights are meant as absolute scales (negative weights, task vectors).",
        default=default,
    )


def density(default: float = 1.0) -> Param:
    return Param(
        "density",
        "float",
        Scope.NON_BASE,
        "Fraction of this model's task vector (model - base) that is kept. "
        "1.0 keeps everything, so no sparsification happens.",
        default=default,
        bounds=Bounds(
            0.0,
            1.0,
            low_open=True,
            why="a density of 0 or less drops the whole task vector, and above 1 it acts as 1",
        ),
    )


def int8_mask() -> Param:
    return Param(
        "int8_mask",
        "bool",
        Scope.SHARED,
        "Store intermediate masks as int8 to save memory; the result is the same.",
        default=False,
    )


def flag(name: str, default: bool, doc: str) -> Param:
    return Param(name, "bool", Scope.SHARED, doc, default=default)
