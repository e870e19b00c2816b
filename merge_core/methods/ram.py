from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

EPSILON = Param(
    "epsilon",
    "float",
    Scope.SHARED,
    "A difference from the base larger than this counts as a change by that model.",
    default=1e-5,
    bounds=Bounds(0.0, why="a negative threshold marks every entry as changed"),
)

METHOD = MergeMethod(
    name="ram",
    pretty_name="Reinforced Agent Merging",
    doc="Adds changes made by only one model as they are and averages changes shared by "
    "several models over the models that made them.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=1),
    params=(EPSILON,),
    reference_url="https://arxiv.org/abs/2601.13572",
    task_vectors=True,
)
