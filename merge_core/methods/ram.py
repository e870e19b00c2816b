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


def task_vector_masks(group, epsilon: float):
    """Task vectors (flattened) and the masks both RAM variants use."""
    import torch

    base = group.base_tensor
    tv = torch.stack([group.tensors[i] - base for i in group.others], dim=0).view(len(group.others), -1)
    active = tv.abs() > epsilon
    counts = active.sum(dim=0, keepdim=True)
    return tv, active, counts, counts > 1, counts == 1


def merge(group, params):
    """Sum the changes only one model makes; average shared changes over the models making them."""
    base = group.base_tensor
    if not group.others:
        return base
    tv, active, counts, shared, unique = task_vector_masks(group, params["epsilon"])
    tvz = tv * active
    merged = ((tvz * unique) + (tvz * shared / counts.clamp(min=1))).sum(dim=0, keepdim=True)
    return base + merged.reshape_as(base)
