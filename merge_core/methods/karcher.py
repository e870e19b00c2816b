from ..method_kit import common_params as cp
from ..method_kit.spec import BasePolicy, Bounds, InputContract, MergeMethod, ParamType


def merge(group, params):
    """The Karcher mean on the unit hypersphere, equal weights over every input (the base too),
    scaled by the mean norm. Norms in float32 (float64 for float64 inputs)."""
    import torch

    xs = group.tensors
    if len(xs) == 1:
        return xs[0]
    alphas = [1.0 / len(xs)] * len(xs)
    tol, max_iter = params["tol"], params["max_iter"]
    acc = torch.float64 if xs[0].dtype == torch.float64 else torch.float32
    norms, units = [], []
    for x in xs:
        n = torch.linalg.vector_norm(x.to(acc))
        norms.append(n)
        units.append(torch.zeros_like(x) if n.item() == 0.0 else (x / n).to(x.dtype))
    valid = [i for i, n in enumerate(norms) if n.item() > tol]
    if not valid:
        return sum(x * 0 for x in xs)
    total = sum(alphas[i] for i in valid)
    va = [alphas[i] / total for i in valid]
    vu = [units[i] for i in valid]
    mean = torch.zeros_like(vu[0])
    for a, u in zip(va, vu):
        mean += a * u
    mn = torch.linalg.vector_norm(mean.to(acc))
    mean = vu[0].clone() if mn.item() < tol else (mean / mn).to(mean.dtype)
    for _ in range(max_iter):
        tangent = torch.zeros_like(mean)
        for a, u in zip(va, vu):
            dot = torch.clamp(torch.dot(mean.flatten(), u.flatten()), -1.0, 1.0)
            theta = torch.arccos(dot)
            if theta.item() < tol:
                continue
            tangent += a * (theta / torch.sin(theta)) * (u - dot * mean)
        tn = torch.linalg.vector_norm(tangent.to(acc))
        if tn.item() < tol:
            break
        mean = (torch.cos(tn) * mean + torch.sin(tn) * (tangent / tn)).to(mean.dtype)
        un = torch.linalg.vector_norm(mean.to(acc))
        if un.item() > tol:
            mean = (mean / un).to(mean.dtype)
    scale = sum(a * n for a, n in zip(alphas, norms))
    return scale * mean


METHOD = MergeMethod(
    name="karcher",
    pretty_name="Karcher Mean",
    doc="The Riemannian (Karcher) mean of all models with equal weights. A `base_model` is "
    "not special: it becomes one more equally weighted point.",
    base=BasePolicy.IGNORED,
    contract=InputContract(min=1),
    merge=merge,
    params=(
        cp.number("max_iter", 10, "Maximum number of iterations of the mean's fixed-point search.",
                  Bounds(1, why="with fewer than 1 iteration the mean is never refined"), type=ParamType.INT),
        cp.number("tol", 1e-5, "Convergence tolerance of the search.",
                  Bounds(0.0, low_open=True, why="tol must be positive")),
    ),
    reference_url="https://arxiv.org/abs/2603.04972",
)
