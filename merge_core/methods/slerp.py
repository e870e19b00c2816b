from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="slerp",
    pretty_name="SLERP",
    doc="Spherical interpolation between exactly two models. The base model must be one of "
    "the two: `t: 0` gives the base, `t: 1` the other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    params=(
        Param(
            "t",
            "float",
            Scope.SHARED,
            "Interpolation factor from the base (0) to the other model (1). "
            "A list is a per-layer gradient.",
            bounds=Bounds(0.0, 1.0, why="outside [0, 1] slerp extrapolates past both models"),
        ),
    ),
    reference_url="https://en.wikipedia.org/wiki/Slerp",
)
