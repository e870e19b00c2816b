from ..method_kit import common_params as cp
from ..method_kit.spec import BasePolicy, Counted, InputContract, MergeMethod, OptionalTensors


def _nuslerp(t: float, v0, v1, dim: int, flatten: bool, eps: float = 1e-8):
    import torch

    shape = v0.shape
    if flatten:
        v0, v1 = v0.reshape(-1), v1.reshape(-1)
    elif dim != -1:
        v0, v1 = v0.transpose(dim, -1), v1.transpose(dim, -1)

    def unit(x):
        return x / torch.norm(x, dim=-1, keepdim=True).clamp(min=1e-7)

    cos = torch.sum(unit(v0) * unit(v1), dim=-1, keepdim=True).clamp(-1, 1)
    colinear = (1 - cos.square()) <= eps**2
    theta = torch.acos(torch.where(colinear, 0, cos))
    sin = torch.sin(theta)
    out = (torch.sin((1 - t) * theta) * v0 + torch.sin(t * theta) * v1) / sin
    out = torch.where(colinear, (1 - t) * v0 + t * v1, out)
    if dim != -1 and not flatten:
        out = out.transpose(dim, -1)
    return out.reshape(shape)


def merge(group, params):
    """SLERP of the two non-base models at t = w1 / (w0 + w1), of their task vectors when a
    base is given; in the inputs' dtype (mergekit 0.1.5 does not upcast here)."""
    others = group.others
    w0, w1 = group.values("weight", others)
    total = w0 + w1
    t = 0.5 if abs(total) < 1e-6 else w1 / total
    x0, x1 = group.tensors[others[0]], group.tensors[others[1]]
    dim = 0 if params["nuslerp_row_wise"] else -1
    base = group.base_tensor
    if base is not None:
        return base + _nuslerp(t, x0 - base, x1 - base, dim, params["nuslerp_flatten"])
    return _nuslerp(t, x0, x1, dim, params["nuslerp_flatten"])


METHOD = MergeMethod(
    name="nuslerp",
    pretty_name="NuSLERP",
    doc="Spherical interpolation of exactly two models weighted by their `weight`s. With a "
    "`base_model` (a third model) it interpolates their task vectors instead.",
    base=BasePolicy.OPTIONAL,
    contract=InputContract(min=2, max=2, counted=Counted.NON_BASE),
    merge=merge,
    params=(
        cp.flag(
            "nuslerp_row_wise",
            False,
            "Interpolate row vectors instead of column vectors (ignored while nuslerp_flatten is on).",
        ),
        cp.flag(
            "nuslerp_flatten",
            True,
            "Treat each tensor as one flat vector; turn off for row- or column-wise interpolation.",
        ),
        cp.weight(),
    ),
    optional_tensors=OptionalTensors.PASSTHROUGH_SINGLETON,
)
