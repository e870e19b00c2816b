from ..method_kit import common_params as cp
from ..method_kit.ram_family import EPSILON, reinforced
from ..method_kit.spec import BasePolicy, Bounds, InputContract, MergeMethod


def merge(group, params):
    """RAM with each model's unique changes scaled by 1 + r * clamp(shared/unique, 0, alpha)."""
    eps = params["epsilon"]

    def boost(active, shared, unique):
        rho = (active & shared).sum(dim=1) / (active & unique).sum(dim=1).clamp(min=eps)
        return 1 + params["r"] * rho.clamp(min=0, max=params["alpha"])

    return reinforced(group, eps, boost)


METHOD = MergeMethod(
    name="ramplus_tl",
    pretty_name="RAM+ (tensor level)",
    doc="RAM that also boosts each model's unique changes by how much it shares with the "
    "others, counted per tensor.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=1),
    merge=merge,
    params=(
        cp.number("r", 0.1, "Strength of the boost given to a model's unique changes.",
                  Bounds(0.0, why="a negative r shrinks unique changes")),
        cp.number("alpha", 0.2, "Upper clamp of the shared/unique ratio used for the boost.",
                  Bounds(0.0, why="a negative alpha clamps the boost below zero")),
        EPSILON,
    ),
    reference_url="https://arxiv.org/abs/2601.13572",
    task_vectors=True,
    float32_result=True,  # the per-model factors are float32
)
