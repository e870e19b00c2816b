"""The generalized task arithmetic family: one recipe, eight methods.

Every member subtracts the base from each model (a task vector), optionally
sparsifies it, optionally elects a sign per element (TIES consensus), then adds
the weighted sum back onto the base.
"""

from __future__ import annotations

from . import common_params as cp
from .scratch import buffer, chunk_elements, result
from .spec import BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope

GAMMA = Param(
    "gamma",
    "float",
    Scope.NON_BASE,
    "Fraction of the largest-magnitude differences removed as outliers before the density cut.",
    default=0.01,
    bounds=Bounds(0.0, 1.0, high_open=True, why="gamma must leave something to keep"),
)

EPSILON = Param(
    "epsilon",
    "float",
    Scope.NON_BASE,
    "Spread of keep-probabilities around density: the smallest differences are kept with "
    "density - epsilon, the largest with density + epsilon. Both must lie inside (0, 1).",
    default=0.15,
    bounds=Bounds(0.0, 0.5, why="density +/- epsilon must stay inside (0, 1)"),
)

LAMBDA = Param(
    "lambda",
    "float",
    Scope.SHARED,
    "Scale applied to the merged task vector before it is added to the base.",
    default=1.0,
)


def task_arithmetic_family(
    name: str,
    pretty_name: str,
    doc: str,
    *,
    normalize: bool,
    rescale: bool,
    uses_rng: bool = False,
    extra: tuple[Param, ...] = (),
    reference_url: str = "",
) -> MergeMethod:
    return MergeMethod(
        name=name,
        pretty_name=pretty_name,
        doc=doc,
        base=BasePolicy.REQUIRED,
        contract=InputContract(min=1),
        params=(
            cp.int8_mask(),
            cp.normalize(normalize),
            cp.flag(
                "rescale",
                rescale,
                "After sparsifying, rescale the kept differences so the task vector keeps its L1 norm.",
            ),
            LAMBDA,
            cp.weight(),
            cp.density(),
            *extra,
        ),
        reference_url=reference_url,
        task_vectors=True,
        uses_rng=uses_rng,
    )


# ---- the math (torch is imported only when a merge runs) -------------------------------

CONSENSUS = {  # method -> (sign consensus, sparsifier)
    "task_arithmetic": (False, None),
    "ties": (True, "magnitude"),
    "dare_ties": (True, "random"),
    "dare_linear": (False, "random"),
    "breadcrumbs": (False, "magnitude_outliers"),
    "breadcrumbs_ties": (True, "magnitude_outliers"),
    "della": (True, "della_magprune"),
    "della_linear": (False, "della_magprune"),
}


def sign_consensus_mask(deltas, mask_dtype):
    """TIES election: per element, the sign of the summed deltas; True where a delta agrees."""
    sign = deltas.sign().to(mask_dtype)
    majority = (deltas.sum(dim=0) >= 0).to(mask_dtype) * 2 - 1
    return sign == majority


CHUNK = chunk_elements()  # elements per step of the elementwise part, for one input


def merge_family(method: str, group, params: dict):
    """base + lambda * (consensus-)weighted sum of the (sparsified) task vectors.

    Weights are materialised in the tensors' dtype (bf16 0.3 is 0.30078125) as mergekit
    0.1.5 does; with consensus the divisor is the sum of the agreeing models' weights.
    Sparsification needs whole task vectors (its cut-off and L1 rescale are per tensor);
    everything after it is elementwise and runs in chunks of CHUNK elements, which gives
    the same numbers with a fraction of the scratch memory.
    """
    import torch

    from . import sparsify as sp

    consensus, sparsifier = CONSENSUS[method]
    base = group.base_tensor
    others = group.others
    if not others:
        return base
    deltas = buffer("task_vectors", (len(others), *base.shape), base.dtype, base.device)
    for row, i in enumerate(others):
        delta = torch.sub(group.tensors[i], base, out=deltas[row])
        group.done(i)
        p = group.params[i]
        if sparsifier == "magnitude":
            delta = sp.magnitude(delta, p["density"], params["rescale"], group.mergekit_sort)
        elif sparsifier == "random":
            delta = sp.bernoulli(delta, p["density"], params["rescale"], group.generator)
        elif sparsifier == "magnitude_outliers":
            delta = sp.magnitude_outliers(delta, p["density"], p["gamma"], params["rescale"], group.mergekit_sort)
        elif sparsifier == "della_magprune":
            delta = sp.della_magprune(delta, p["density"], p["epsilon"], params["rescale"], group.generator)
        if delta.data_ptr() != deltas[row].data_ptr():
            deltas[row] = delta
        del delta
    k = len(others)
    weights = torch.tensor(group.values("weight", others), dtype=deltas.dtype, device=deltas.device).view(k, 1)
    flat = deltas.view(k, -1)
    flat.mul_(weights)
    b = base.reshape(-1)
    out = result(b.shape, b.dtype, b.device)
    mask_dtype = torch.int8 if params["int8_mask"] else base.dtype
    normalize = params["normalize"]
    if normalize and not consensus:
        divisor = weights.sum(dim=0)
        divisor[divisor.abs() < 1e-8] = 1
    step = max(1, CHUNK // k)  # temporaries hold k rows
    for start in range(0, max(b.numel(), 1), step):
        d = flat[:, start:start + step]
        if consensus:
            mask = sign_consensus_mask(d, mask_dtype)
            mixed = (d * mask).sum(dim=0)
            if normalize:
                divisor = (weights * mask).sum(dim=0)
                divisor[divisor == 0] = 1
            del mask
        else:
            mixed = d.sum(dim=0)
        if normalize:
            mixed /= divisor
        if params["lambda"] != 1:
            mixed *= params["lambda"]
        torch.add(b[start:start + step], mixed, out=out[start:start + step])
        del d, mixed
    return out.view(base.shape)
