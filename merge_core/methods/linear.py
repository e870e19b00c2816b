from ..method_kit import common_params as cp
from ..method_kit.scratch import chunk_elements, result
from ..method_kit.spec import BasePolicy, InputContract, MergeMethod, Scope


CHUNK = chunk_elements()  # elements per float32 accumulation step


def merge(group, params):
    """sum_i w_i X_i (divided by sum_i w_i when normalize), accumulated in float32.

    mergekit 0.1.5 accumulates in float32 (float64 for float64 inputs) with float32
    weights and rounds the result once to the inputs' dtype. The accumulation is
    elementwise, so it runs in chunks (same numbers, bounded scratch).
    """
    import torch

    first = group.tensors[0]
    acc = torch.float64 if first.dtype == torch.float64 else torch.float32
    weights = torch.tensor([group.values("weight")], dtype=acc, device=first.device)
    denominator = weights.sum(dim=1).reshape(1, 1) if params["normalize"] else None
    flats = [t.reshape(1, -1) for t in group.tensors]
    n = flats[0].shape[1]
    out = result((n,), first.dtype, first.device)
    for start in range(0, max(n, 1), CHUNK):
        stop = min(n, start + CHUNK)
        # a leading axis of 1 keeps the kernels (and the rounding) those of mergekit's batch path
        total = torch.zeros((1, stop - start), dtype=acc, device=first.device)
        for x, w in zip(flats, weights.unbind(1)):
            total.addcmul_(x[:, start:stop], w.reshape(1, 1))
        if denominator is not None:
            total.div_(denominator)
        out[start:stop] = total[0]
    return out.view(first.shape)


METHOD = MergeMethod(
    name="linear",
    pretty_name="Linear",
    doc="A weighted average of the models. Every input, the base included, needs a `weight`.",
    base=BasePolicy.IGNORED,
    contract=InputContract(min=1),
    merge=merge,
    params=(cp.normalize(True), cp.weight(Scope.INPUT)),
    reference_url="https://arxiv.org/abs/2203.05482",
)
