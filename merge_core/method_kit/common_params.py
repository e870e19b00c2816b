"""Parameters that several methods declare with the same meaning, and the shapes of a
method's own shared settings (`flag`, `number`).

Each is a factory so a method can give its own default; the doc text lives here once.
"""

from __future__ import annotations

from .spec import REQUIRED, Bounds, Param, ParamType, Scope


def weight(scope: Scope = Scope.NON_BASE) -> Param:
    return Param(
        "weight",
        ParamType.FLOAT,
        scope,
        "How much this model contributes. Required for every model that is not the base; "
        "a list of numbers is a per-layer gradient, not one weight per model.",
        default=REQUIRED,
    )


def normalize(default: bool) -> Param:
    return Param(
        "normalize",
        ParamType.BOOL,
        Scope.SHARED,
        "Divide the result by the sum of the weights, so weights act as proportions. "
        "Turn it off when weights are meant as absolute scales (negative weights, task vectors).",
        default=default,
    )


def density(default: float = 1.0) -> Param:
    return Param(
        "density",
        ParamType.FLOAT,
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
        ParamType.BOOL,
        Scope.SHARED,
        "Store intermediate masks as int8 to save memory; the result is the same.",
        default=False,
    )


def flag(name: str, default: bool, doc: str) -> Param:
    """A shared (once per output tensor) switch."""
    return Param(name, ParamType.BOOL, Scope.SHARED, doc, default=default)


def number(name: str, default: object, doc: str, bounds: Bounds | None = None,
           type: ParamType = ParamType.FLOAT) -> Param:
    """A shared (once per output tensor) number; default REQUIRED when it has none."""
    return Param(name, type, Scope.SHARED, doc, default=default, bounds=bounds)
