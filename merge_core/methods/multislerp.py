from ..method_kit import common_params as cp
from ..method_kit.spec import BasePolicy, Bounds, Counted, InputContract, MergeMethod


def merge(group, params):
    """Barycentric interpolation on the hypersphere (of task vectors when a base is given).

    Weights are materialised in the tensors' dtype, as mergekit 0.1.5 does.
    """
    import torch

    others = group.others
    base = group.base_tensor
    eps = params["eps"]
    if len(others) == 1:
        return group.tensors[others[0]]
    x = torch.stack([group.tensors[i] for i in others], dim=0)
    if base is not None:
        x -= base
    flat = x.view(x.shape[0], -1)
    w = torch.tensor(group.values("weight", others), dtype=x.dtype, device=x.device)
    if params["normalize_weights"]:
        w = w / w.sum()
    norms = torch.norm(flat, dim=-1, keepdim=True)
    units = flat / (norms + eps)
    mean = (units * w.view(-1, 1)).sum(0)
    mean_norm = torch.norm(mean)
    if mean_norm < eps:
        if x.shape[0] == 2:
            out = (x[0] * w[0] + x[1] * w[1]).view(x.shape[1:])
            return out + base if base is not None else out
        raise ValueError(
            "The weighted sum of the input tensors is zero. This occurs when antipodal vectors or sets of "
            "vectors have weights that exactly balance out (e.g., vectors a,-a with equal weights). Try using "
            "different weights if you have antipodal vectors."
        )
    mean = mean / mean_norm
    dots = (units * mean).sum(-1, keepdim=True)
    tangents = units - dots * mean
    tangent = (tangents * w.view(-1, 1)).sum(0)
    tnorm = torch.norm(tangent) + eps
    out = mean * torch.cos(tnorm) + tangent * (torch.sin(tnorm) / tnorm)
    out = out * (norms.squeeze(-1) * w).sum()
    out = out.view(x.shape[1:])
    return out + base if base is not None else out


METHOD = MergeMethod(
    name="multislerp",
    pretty_name="Multi-SLERP",
    doc="Spherical interpolation of any number of models on the hypersphere, weighted by "
    "their `weight`s; with a `base_model`, of their task vectors.",
    base=BasePolicy.OPTIONAL,
    contract=InputContract(min=1, counted=Counted.NON_BASE),
    merge=merge,
    params=(
        cp.flag("normalize_weights", True, "Divide the weights by their sum."),
        cp.number("eps", 1e-8, "Small constant that keeps the normalisation from dividing by zero.",
                  Bounds(0.0, low_open=True, why="eps must be positive")),
        cp.weight(),
    ),
    reference_url="https://goddard.blog/posts/multislerp-wow-what-a-cool-idea",
)
