from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="karcher",
    pretty_name="Karcher Mean",
    doc="The Riemannian (Karcher) mean of all models with equal weights. A `base_model` is "
    "not special: it becomes one more equally weighted point.",
    base=BasePolicy.IGNORED,
    contract=InputContract(min=1),
    params=(
        Param(
            "max_iter",
            "int",
            Scope.SHARED,
            "Maximum number of iterations of the mean's fixed-point search.",
            default=10,
            bounds=Bounds(1, why="with fewer than 1 iteration the mean is never refined"),
        ),
        Param(
            "tol",
            "float",
            Scope.SHARED,
            "Convergence tolerance of the search.",
            default=1e-5,
            bounds=Bounds(0.0, low_open=True, why="tol must be positive"),
        ),
    ),
    reference_url="https://arxiv.org/abs/2603.04972",
)
