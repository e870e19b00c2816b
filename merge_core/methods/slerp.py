from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

METHOD = MergeMethod(
    name="slerp",
    pretty_name="SLERP",
    doc="Spherical interpolation between exactly two models. The base model must be one of "
    "the two: `t: 0` gives the base, `t: 1` the other model.",
    base=BasePolicy.REQUIRED,
    contract=InputContract(min=2, max=2),
    params=(
        Param(
            "t",
            "float",
            Scope.SHARED,
            "Interpolation factor from the base (0) to the other model (1). "
            "A list is a per-layer gradient.",
            bounds=Bounds(0.0, 1.0, why="outside [0, 1] slerp extrapolates past both models"),
        ),
    ),
    reference_url="https://en.wikipedia.org/wiki/Slerp",
)

OPTIONAL_TENSORS = "passthrough_singleton"
CHUNK = 1024 * 1024  # elements per float32 scratch chunk


def merge(group, params):
    """Spherical interpolation from the base (t=0) to the other model (t=1).

    Computed in float32 (float64 for float64 inputs) in chunks of 1M elements, as
    mergekit 0.1.5 does: norms of per-chunk norms, a clamped dot product, lerp when
    |dot| > 0.9995; the result is rounded to the inputs' dtype.
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
    na = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(a[:, s:e].to(dtype), dim=1, keepdim=True) for s, e in spans]), dim=0
    )
    nb = torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(b[:, s:e].to(dtype), dim=1, keepdim=True) for s, e in spans]), dim=0
    )
    na = torch.where(na > eps, na, 1)
    nb = torch.where(nb > eps, nb, 1)
    dot = torch.stack(
        [((a[:, s:e].to(dtype) / na) * (b[:, s:e].to(dtype) / nb)).sum(dim=1, keepdim=True) for s, e in spans]
    ).sum(dim=0).clamp(-1, 1)
    linear = dot.abs() > 0.9995
    theta = torch.acos(torch.where(linear, 0, dot))
    sin_theta = torch.sin(theta)
    ca = torch.where(linear, 1 - t, torch.sin((1 - t) * theta) / sin_theta)
    cb = torch.where(linear, t, torch.sin(t * theta) / sin_theta)
    out = torch.empty_like(a)
    for s, e in spans:
        out[:, s:e] = ca * a[:, s:e].to(dtype) + cb * b[:, s:e].to(dtype)
    return out.reshape(v0.shape)
