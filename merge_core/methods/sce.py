from . import common_params as cp
from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="sce",
    pretty_name="SCE",
    doc="Select, Calculate, Erase: keeps the task-vector entries that vary most across "
    "models (`select_topk`), weights each model by its own task-vector energy and erases "
    "entries with a minority sign. User `weight`s are not read.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=1),
    params=(
        cp.int8_mask(),
        Param(
            "select_topk",
            "float",
            Scope.SHARED,
            "Fraction of the highest-variance entries kept; 1.0 keeps all.",
            default=1.0,
            bounds=Bounds(
                0.0, 1.0, low_open=True, why="select_topk of 0 or less keeps nothing"
            ),
        ),
    ),
    reference_url="https://arxiv.org/abs/2408.07990",
    task_vectors=True,
)
