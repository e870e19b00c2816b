from ..method_kit import common_params as cp
from ..method_kit.scratch import buffer, result
from ..method_kit.spec import REQUIRED, BasePolicy, Bounds, InputContract, MergeMethod, OptionalTensors


# mergekit's chunk: the norms are norms of per-chunk norms, so the same chunks give the same bits
CHUNK = 1024 * 1024


def merge(group, params):
    """Spherical interpolation from the base (t=0) to the other model (t=1).

    Computed in float32 (float64 for float64 inputs) in chunks of 1M elements, as
    mergekit 0.1.5 does: norms of per-chunk norms, a clamped dot product, lerp when
    |dot| > 0.9995; the result is rounded to the inputs' dtype. mergekit's operations on
    each chunk, in its order, so the same bits; but every chunk goes through the same two
    kept buffers instead of a dozen fresh temporaries.
    """
    import torch

    v0 = group.base_tensor
    v1 = group.tensors[group.others[0]]
    dtype = torch.float64 if v0.dtype == torch.float64 else torch.float32
    a = v0.reshape(1, -1)
    b = v1.reshape(1, -1)
    t = torch.tensor([params["t"]], dtype=dtype, device=v0.device).reshape(-1, 1)
    n = a.shape[1]
    if not n:
        return ((1 - t) * a + t * b).reshape(v0.shape).to(v0.dtype)
    eps = 1e-8
    spans = [(s, min(n, s + CHUNK)) for s in range(0, n, CHUNK)]
    x_buf = buffer("slerp_a", (1, min(n, CHUNK)), dtype, v0.device)
    y_buf = buffer("slerp_b", (1, min(n, CHUNK)), dtype, v0.device)

    def load(s, e):
        x, y = x_buf[:, :e - s], y_buf[:, :e - s]
        return x.copy_(a[:, s:e]), y.copy_(b[:, s:e])

    norms_a, norms_b = [], []
    for s, e in spans:
        x, y = load(s, e)
        norms_a.append(torch.linalg.vector_norm(x, dim=1, keepdim=True))
        norms_b.append(torch.linalg.vector_norm(y, dim=1, keepdim=True))
    na = torch.linalg.vector_norm(torch.stack(norms_a), dim=0)
    nb = torch.linalg.vector_norm(torch.stack(norms_b), dim=0)
    na = torch.where(na > eps, na, 1)
    nb = torch.where(nb > eps, nb, 1)
    dots = []
    for s, e in spans:
        x, y = load(s, e)
        dots.append(x.div_(na).mul_(y.div_(nb)).sum(dim=1, keepdim=True))
    dot = torch.stack(dots).sum(dim=0).clamp(-1, 1)
    linear = dot.abs() > 0.9995
    theta = torch.acos(torch.where(linear, 0, dot))
    sin_theta = torch.sin(theta)
    ca = torch.where(linear, 1 - t, torch.sin((1 - t) * theta) / sin_theta)
    cb = torch.where(linear, t, torch.sin(t * theta) / sin_theta)
    out = result(a.shape, a.dtype, a.device)
    for s, e in spans:
        x, y = load(s, e)
        out[:, s:e] = x.mul_(ca).add_(y.mul_(cb))
    return out.reshape(v0.shape)


METHOD = MergeMethod(
    name="slerp",
    pretty_name="SLERP",
    doc="Spherical interpolation between exactly two models. The base model must be one of "
    "the two: `t: 0` gives the base, `t: 1` the other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    merge=merge,
    params=(
        cp.number("t", REQUIRED, "Interpolation factor from the base (0) to the other model (1). "
                  "A list is a per-layer gradient.",
                  Bounds(0.0, 1.0, why="outside [0, 1] slerp extrapolates past both models")),
    ),
    reference_url="https://en.wikipedia.org/wiki/Slerp",
    optional_tensors=OptionalTensors.PASSTHROUGH_SINGLETON,
)
