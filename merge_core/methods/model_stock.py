from ..method_kit import common_params as cp
from ..method_kit.spec import BasePolicy, InputContract, MergeMethod, OptionalTensors


def merge(group, params):
    """t * mean(models) + (1 - t) * base, t from the mean pairwise cosine of the task vectors
    (per row with filter_wise); t = 0 where 1 + (N-1)cos is ~0 (mergekit 0.1.5's guard)."""
    import torch

    w0 = group.base_tensor
    ws = [group.tensors[i] for i in group.others]
    shape = w0.shape
    if params["filter_wise"]:
        if w0.dim() == 1:
            w0 = w0.unsqueeze(0)
            ws = [w.unsqueeze(0) for w in ws]
    else:
        w0 = w0.reshape(-1)
        ws = [w.reshape(-1) for w in ws]
    offsets = [w - w0 for w in ws]
    cosines = []
    for i, oa in enumerate(offsets):
        for ob in offsets[i + 1:]:
            prod = torch.norm(oa, dim=-1) * torch.norm(ob, dim=-1)
            cosines.append(((oa * ob).sum(dim=-1) / prod.clamp(min=1e-6)).clamp(-1, 1))
    cos = torch.stack(cosines).mean(dim=0).unsqueeze(-1)
    n = len(ws)
    denom = 1 + (n - 1) * cos
    singular = denom.abs() < 1e-6
    safe = torch.where(singular, torch.ones_like(denom), denom)
    t = torch.where(singular, torch.zeros_like(cos), (n * cos) / safe)
    average = sum(ws) / n
    return (t * average + (1 - t) * w0).reshape(shape)


METHOD = MergeMethod(
    name="model_stock",
    pretty_name="Model Stock",
    doc="Finds an interpolation ratio toward the average of the fine-tunes from the angles "
    "between their task vectors. Needs the base and at least two other models.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=3),
    merge=merge,
    params=(
        cp.flag(
            "filter_wise",
            False,
            "Compute the ratio per row instead of per tensor.",
        ),
    ),
    reference_url="https://arxiv.org/abs/2403.19522",
    task_vectors=True,
    optional_tensors=OptionalTensors.BASE_OR_SKIP,
)
