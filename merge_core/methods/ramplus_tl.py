from .ram import EPSILON
from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="ramplus_tl",
    pretty_name="RAM+ (tensor level)",
    doc="RAM that also boosts each model's unique changes by how much it shares with the "
    "others, counted per tensor.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=1),
    params=(
        Param(
            "r",
            "float",
            Scope.SHARED,
            "Strength of the boost given to a model's unique changes.",
            default=0.1,
            bounds=Bounds(0.0, why="a negative r shrinks unique changes"),
        ),
        Param(
            "alpha",
            "float",
            Scope.SHARED,
            "Upper clamp of the shared/unique ratio used for the boost.",
            default=0.2,
            bounds=Bounds(0.0, why="a negative alpha clamps the boost below zero"),
        ),
        EPSILON,
    ),
    reference_url="https://arxiv.org/abs/2601.13572",
    task_vectors=True,
)
