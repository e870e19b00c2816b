from . import common_params as cp
from .spec import BasePolicy, InputContract, MergeMethod

METHOD = MergeMethod(
    name="model_stock",
    pretty_name="Model Stock",
    doc="Finds an interpolation ratio toward the average of the fine-tunes from the angles "
    "between their task vectors. Needs the base and at least two other models.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=3),
    params=(
        cp.flag(
            "filter_wise",
            False,
            "Compute the ratio per row instead of per tensor.",
        ),
    ),
    reference_url="https://arxiv.org/abs/2403.19522",
    task_vectors=True,
)
