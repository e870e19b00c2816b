from ..method_kit import common_params as cp
from ..method_kit.spec import REQUIRED, BasePolicy, Bounds, InputContract, MergeMethod, OptionalTensors


def merge(group, params):
    """Per element: take the other model where it is within t of the base, blend in between."""
    import torch

    a = group.base_tensor
    b = group.tensors[group.others[0]]
    w = (params["t"] / torch.abs(a - b).clamp(min=1e-6)).clamp(min=0, max=1)
    return w * b + (1 - w) * a


METHOD = MergeMethod(
    name="nearswap",
    pretty_name="NearSwap",
    doc="Takes the other model's value where it is close to the base (within about `t`) and "
    "keeps the base elsewhere. Needs the base and exactly one other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    merge=merge,
    params=(
        cp.number("t", REQUIRED, "Similarity threshold: entries whose difference is below t are swapped in.",
                  Bounds(0.0, low_open=True, why="with t of 0 or less nothing is swapped in")),
    ),
    reference_url="https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001",
    task_vectors=True,
    optional_tensors=OptionalTensors.PASSTHROUGH_BASE_SINGLETON,
)
