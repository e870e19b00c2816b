from . import common_params as cp
from .spec import BasePolicy, InputContract, MergeMethod

METHOD = MergeMethod(
    name="nuslerp",
    pretty_name="NuSLERP",
    doc="Spherical interpolation of exactly two models weighted by their `weight`s. With a "
    "`base_model` (a third model) it interpolates their task vectors instead.",
    base=BasePolicy.OPTIONAL,
    contract=InputContract(min=2, max=2, counted="non_base"),
    params=(
        cp.flag(
            "nuslerp_row_wise",
            False,
            "Interpolate row vectors instead of column vectors (ignored while nuslerp_flatten is on).",
        ),
        cp.flag(
            "nuslerp_flatten",
            True,
            "Treat each tensor as one flat vector; turn off for row- or column-wise interpolation.",
        ),
        cp.weight(),
    ),
)
