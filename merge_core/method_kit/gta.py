"""The generalized task arithmetic family: one recipe, eight methods (each its own module
in merge_core/methods/, declared with `task_arithmetic_method`).

Every member subtracts the base from each model (a task vector), optionally
sparsifies it, optionally elects a sign per element (TIES consensus), then adds
the weighted sum back onto the base.
"""

from __future__ import annotations

from functools import partial

from . import common_params as cp
from . import sparsify as sp
from .scratch import buffer, chunk_elements, result
from .spec import BasePolicy, Bounds, Consensus, InputContract, MergeMethod, Param, ParamType, Scope, Sparsification

GAMMA = Param(
    "gamma",
    ParamType.FLOAT,
    Scope.NON_BASE,
    "Fraction of the largest-magnitude differences removed as outliers before the density cut.",
    default=0.01,
    bounds=Bounds(0.0, 1.0, high_open=True, why="gamma must leave something to keep"),
)

EPSILON = Param(
    "epsilon",
    ParamType.FLOAT,
    Scope.NON_BASE,
    "Spread of keep-probabilities around density: the smallest differences are kept with "
    "density - epsilon, the largest with density + epsilon. Both must lie inside (0, 1).",
    default=0.15,
    bounds=Bounds(0.0, 0.5, why="density +/- epsilon must stay inside (0, 1)"),
)

LAMBDA = cp.number("lambda", 1.0, "Scale applied to the merged task vector before it is added to the base.")

# the parameters a sparsifier reads besides density, as mergekit's spec adds them
SPARSIFIER_PARAMS = {
    Sparsification.MAGNITUDE_OUTLIERS: (GAMMA,),
    Sparsification.DELLA_MAGPRUNE: (EPSILON,),
}


def task_arithmetic_method(
    name: str,
    pretty_name: str,
    doc: str,
    *,
    consensus: Consensus | None,
    sparsification: Sparsification | None,
    normalize: bool,
    rescale: bool,
    reference_url: str,
) -> MergeMethod:
    """One member of the family from its flags, as mergekit 0.1.5's registry builds a
    GeneralizedTaskArithmeticMerge: the parameters, the use of the generator and the math
    all follow from the consensus and sparsification."""
    return MergeMethod(
        name=name,
        pretty_name=pretty_name,
        doc=doc,
        base=BasePolicy.REQUIRED,
        contract=InputContract(min=1),
        merge=partial(merge_family, consensus, sparsification),
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
            *SPARSIFIER_PARAMS.get(sparsification, ()),
        ),
        reference_url=reference_url,
        task_vectors=True,
        stacks_task_vectors=True,
        uses_rng=sparsification is not None and sparsification.draws,
        consensus=consensus,
        sparsification=sparsification,
    )


# ---- the math (torch is imported only when a merge runs) -------------------------------

def sign_consensus_mask(deltas, mask_dtype):
    """TIES election: per element, the sign of the summed deltas; True where a delta agrees."""
    sign = deltas.sign().to(mask_dtype)
    majority = (deltas.sum(dim=0) >= 0).to(mask_dtype) * 2 - 1
    return sign == majority


CHUNK = chunk_elements()  # elements per step of the elementwise part, for one input


def merge_family(consensus: Consensus | None, sparsification: Sparsification | None, group, params: dict):
    """base + lambda * (consensus-)weighted sum of the (sparsified) task vectors.

    Weights are materialised in the tensors' dtype (bf16 0.3 is 0.30078125) as mergekit
    0.1.5 does; with consensus the divisor is the sum of the agreeing models' weights.
    Sparsification needs whole task vectors (its cut-off and L1 rescale are per tensor);
    everything after it is elementwise and runs in chunks of CHUNK elements, which gives
    the same numbers with a fraction of the scratch memory.
    """
    import torch

    base = group.base_tensor
    others = group.others
    if not others:
        return base
    deltas = buffer("task_vectors", (len(others), *base.shape), base.dtype, base.device)
    for row, i in enumerate(others):
        delta = torch.sub(group.tensors[i], base, out=deltas[row])
        group.done(i)
        if sparsification is not None:
            delta = _sparsified(sparsification, delta, group.params[i], params["rescale"], group)
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
    if normalize and consensus is None:
        divisor = weights.sum(dim=0)
        divisor[divisor.abs() < 1e-8] = 1
    step = max(1, CHUNK // k)  # temporaries hold k rows
    for start in range(0, max(b.numel(), 1), step):
        d = flat[:, start:start + step]
        if consensus is Consensus.SUM:
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


def _sparsified(how: Sparsification, delta, p: dict, rescale: bool, group):
    """delta thinned by `how`, with this model's parameters `p` (may overwrite delta)."""
    if how is Sparsification.MAGNITUDE:
        return sp.magnitude(delta, p["density"], rescale, group.mergekit_sort)
    if how is Sparsification.RANDOM:
        return sp.bernoulli(delta, p["density"], rescale, group.generator)
    if how is Sparsification.MAGNITUDE_OUTLIERS:
        return sp.magnitude_outliers(delta, p["density"], p["gamma"], rescale, group.mergekit_sort)
    return sp.della_magprune(delta, p["density"], p["epsilon"], rescale, group.generator)
