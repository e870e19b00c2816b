from ..method_kit import common_params as cp
from ..method_kit.spec import BasePolicy, Bounds, InputContract, MergeMethod


def merge(group, params):
    """Select the top `select_topk` elements by variance across models, elect signs (TIES),
    weight each model by its mean squared task vector."""
    import torch

    from ..method_kit.gta import sign_consensus_mask

    base = group.base_tensor
    if not group.others:
        return base
    mask_dtype = torch.int8 if params["int8_mask"] else base.dtype
    tvs = torch.stack([group.tensors[i] - base for i in group.others], dim=0)
    topk = params["select_topk"]
    if topk < 1:
        if topk <= 0:
            keep = torch.zeros_like(tvs[0], dtype=mask_dtype)
        else:
            var = torch.var(tvs, dim=0, unbiased=False)
            k = int(torch.count_nonzero(var) * topk)
            keep = torch.zeros_like(var, dtype=mask_dtype)
            if k > 0:
                _, idx = torch.topk(var.abs().view(-1), k=k, largest=True)
                keep.view(-1)[idx] = 1
        tvs = tvs * keep.unsqueeze(0)
    erase = sign_consensus_mask(tvs, mask_dtype)
    w = tvs.square().reshape(tvs.shape[0], -1).mean(dim=1)
    total = torch.sum(w).item()
    w = torch.ones_like(w) / w.shape[0] if abs(total) < 1e-6 else w / total
    while w.dim() < tvs.dim():
        w = w.unsqueeze(-1)
    erased = w * erase
    return base + (tvs * erased).sum(dim=0) / torch.sum(erased, dim=0).clamp(min=1e-6)


METHOD = MergeMethod(
    name="sce",
    pretty_name="SCE",
    doc="Select, Calculate, Erase: keeps the task-vector entries that vary most across "
    "models (`select_topk`), weights each model by its own task-vector energy and erases "
    "entries with a minority sign. User `weight`s are not read.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=1),
    merge=merge,
    params=(
        cp.int8_mask(),
        cp.number("select_topk", 1.0, "Fraction of the highest-variance entries kept; 1.0 keeps all.",
                  Bounds(0.0, 1.0, low_open=True, why="select_topk of 0 or less keeps nothing")),
    ),
    reference_url="https://arxiv.org/abs/2408.07990",
    task_vectors=True,
    stacks_task_vectors=True,
)
