"""The generalized task arithmetic family: one recipe, eight methods.

Every member subtracts the base from each model (a task vector), optionally
sparsifies it, optionally elects a sign per element (TIES consensus), then adds
the weighted sum back onto the base.
"""

from __future__ import annotations

from . import common_params as cp
from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

GAMMA = Param(
    "gamma",
    "float",
    Scope.NON_BASE,
    "Fraction of the largest-magnitude differences removed as outliers before the density cut.",
    default=0.01,
    bounds=Bounds(0.0, 1.0, high_open=True, why="gamma must leave something to keep"),
)

EPSILON = Param(
    "epsilon",
    "float",
    Scope.NON_BASE,
    "Spread of keep-probabilities around density: the smallest differences are kept with "
    "density - epsilon, the largest with density + epsilon. Both must lie inside (0, 1).",
    default=0.15,
    bounds=Bounds(0.0, 0.5, why="density +/- epsilon must stay inside (0, 1)"),
)

LAMBDA = Param(
    "lambda",
    "float",
    Scope.SHARED,
    "Scale applied to the merged task vector before it is added to the base.",
    default=1.0,
)


def task_arithmetic_family(
    name: str,
    pretty_name: str,
    doc: str,
    *,
    normalize: bool,
    rescale: bool,
    uses_rng: bool = False,
    extra: tuple[Param, ...] = (),
    reference_url: str = "",
) -> MergeMethod:
    return MergeMethod(
        name=name,
        pretty_name=pretty_name,
        doc=doc,
        base=BasePolicy.REQUIRED,
        contract=InputContract(min=1),
        params=(
            cp.int8_mask(),
            cp.normalize(normalize),
            cp.flag(
                "rescale",
                rescale,
                "After sparsifying, rescale the kept differences so the task vector keeps its L1 norm.",
            ),
            LAMBDA,
            cp.weight(),
            cp.density(),
            *extra,
        ),
        reference_url=reference_url,
        task_vectors=True,
        uses_rng=uses_rng,
    )
