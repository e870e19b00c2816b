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


def result_dtype(dtype):
    """mergekit 0.1.5 scales by float32 per-model factors, so half-precision inputs come out float32."""
    import torch

    return torch.promote_types(dtype, torch.float32)


def merge(group, params):
    """RAM with each model's unique changes scaled by 1 + r * clamp(shared/unique, 0, alpha)."""
    from .ram import task_vector_masks

    base = group.base_tensor
    if not group.others:
        return base
    eps = params["epsilon"]
    tv, active, counts, shared, unique = task_vector_masks(group, eps)
    shared_n = (active & shared).sum(dim=1)
    unique_n = (active & unique).sum(dim=1)
    rho = shared_n / unique_n.clamp(min=eps)
    lam = 1 + params["r"] * rho.clamp(min=0, max=params["alpha"])
    tvz = tv * active
    merged = ((tvz * unique * lam.unsqueeze(-1)) + (tvz * shared / counts.clamp(min=1))).sum(dim=0, keepdim=True)
    return base + merged.reshape_as(base)
