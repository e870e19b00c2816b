from . import common_params as cp
from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="multislerp",
    pretty_name="Multi-SLERP",
    doc="Spherical interpolation of any number of models on the hypersphere, weighted by "
    "their `weight`s; with a `base_model`, of their task vectors.",
    base=BasePolicy.OPTIONAL,
    contract=InputContract(min=1, counted="non_base"),
    params=(
        cp.flag("normalize_weights", True, "Divide the weights by their sum."),
        Param(
            "eps",
            "float",
            Scope.SHARED,
            "Small constant that keeps the normalisation from dividing by zero.",
            default=1e-8,
            bounds=Bounds(0.0, low_open=True, why="eps must be positive"),
        ),
        cp.weight(),
    ),
    reference_url="https://goddard.blog/posts/multislerp-wow-what-a-cool-idea",
)
