"""Task-vector sparsifiers for the generalized task arithmetic family (torch imported lazily).

Semantics are mergekit 0.1.5's (`mergekit/sparsify.py`):
- magnitude (ties): keep the max(1, int(density*n)) largest |delta|; density <= 0 drops all;
- magnitude_outliers (breadcrumbs): drop the int(gamma*n) largest and the smallest so that
  int(density*n) remain (the 0.1.5 fix: small tensors and gamma = 0 keep their delta);
- random (dare): Bernoulli(density) mask;
- della_magprune (della): per row, keep-probability rising with the rank of |delta| from
  density - epsilon to density + epsilon;
- rescale: whole-tensor L1 norm matching (mergekit's rule, not the papers' 1/p).

Each sparsifier may overwrite the tensor it is given (the caller's own task vector).

mergekit selects by sorting every tensor (torch.argsort). Here the cut is found with a
radix selection, O(n) instead of O(n log n): the kept set is the same except where
several elements tie exactly at the cut-off magnitude; there mergekit's pick follows
torch's unstable sort and mergelint keeps the lowest-index ones (documented).
"""

from __future__ import annotations

from .scratch import buffer, chunk_elements

_EPS = 1e-7


def rescaled(tensor, mask, rescale: bool):
    """tensor * mask, rescaled to the L1 norm it had: mergekit's rescaled_masked_tensor, same
    operations, but written over `tensor` (the caller's own task vector) with one kept
    scratch buffer instead of three fresh tensors."""
    import torch

    if not rescale:
        return tensor.mul_(mask)
    scratch = buffer("abs", tensor.shape, tensor.dtype, tensor.device)  # the magnitudes are done with
    before = torch.abs(tensor, out=scratch).sum()
    tensor.mul_(mask)
    after = torch.abs(tensor, out=scratch).sum()
    if before < _EPS or after < _EPS:
        return tensor
    return tensor.mul_(before / after)


def _kth_smallest(w, k: int):
    """The k-th smallest value (1-based) of a 1-D tensor of non-negative floats, exactly.

    Bit patterns of non-negative IEEE floats sort like their values, so a radix selection
    finds it: one histogram of the 16-bit patterns (bfloat16/float16), or of the high then
    the low half (float32). O(n) with no data-dependent worst case (quickselect degrades on
    the many equal magnitudes of half-precision deltas).
    """
    import torch

    if w.dtype in (torch.bfloat16, torch.float16):
        cum = torch.bincount(w.view(torch.int16), minlength=1 << 15).cumsum(0)
        idx = int(torch.searchsorted(cum, k))
        return torch.tensor([idx], dtype=torch.int16).view(w.dtype).to(w.device)[0]
    if w.dtype == torch.float32:
        bits = w.view(torch.int32)
        high = torch.bitwise_right_shift(bits, 16, out=buffer("radix", bits.shape, torch.int32, w.device))
        cum = torch.bincount(high, minlength=1 << 15).cumsum(0)
        top = int(torch.searchsorted(cum, k))
        before = int(cum[top - 1]) if top > 0 else 0
        low = bits[torch.eq(high, top, out=buffer("flags", bits.shape, torch.bool, w.device))] & 0xFFFF
        cum2 = torch.bincount(low, minlength=1 << 16).cumsum(0)
        bottom = int(torch.searchsorted(cum2, k - before))
        return torch.tensor([(top << 16) | bottom], dtype=torch.int32).view(torch.float32).to(w.device)[0]
    return torch.kthvalue(w, k).values


def _select(w, k: int, dtype, slot: str, *, largest: bool):
    """A 0/1 mask in `dtype` (in buffer `slot`) of the k smallest or largest values of 1-D w,
    exact ties at the cut-off taken lowest index first."""
    import torch

    n = w.numel()
    mask = buffer(slot, w.shape, dtype, w.device)
    if k <= 0:
        return mask.zero_()
    if k >= n:
        return mask.fill_(1)
    v = _kth_smallest(w, n - k + 1 if largest else k)
    flags = buffer("flags", w.shape, torch.bool, w.device)  # comparisons land here, then in mask
    strict = (torch.gt if largest else torch.lt)(w, v, out=flags)
    need = k - int(strict.count_nonzero())
    mask.copy_(strict)
    if need > 0:
        ties = torch.eq(w, v, out=flags)
        if need >= int(ties.count_nonzero()):
            mask.masked_fill_(ties, 1)
        else:  # the first `need` ties, a chunk at a time: the index list of all of them is large
            step = chunk_elements()
            for start in range(0, n, step):
                part = ties[start:start + step]
                count = int(part.count_nonzero())
                if count < need:
                    mask[start:start + step].masked_fill_(part, 1)
                    need -= count
                else:
                    mask[start:start + step][part.nonzero().squeeze(1)[:need]] = 1
                    break
    return mask


def _magnitudes(tensor):
    # |delta| in its own dtype: the selection works on the exact values (mergekit upcasts to
    # float32 on CPU before sorting, which preserves order and ties)
    import torch

    return torch.abs(tensor, out=buffer("abs", tensor.shape, tensor.dtype, tensor.device)).reshape(-1)


def magnitude(tensor, density: float, rescale: bool, sort: bool = False):
    import torch

    if density >= 1:
        return tensor
    if density <= 0 or tensor.numel() == 0:
        return torch.zeros_like(tensor)
    k = max(1, int(density * tensor.numel()))
    w = _magnitudes(tensor)
    if sort:
        mask = torch.zeros(tensor.numel(), dtype=tensor.dtype, device=tensor.device)
        mask[torch.argsort(w.float() if w.device.type == "cpu" else w, descending=True)[:k]] = 1
    else:
        mask = _select(w, k, tensor.dtype, "keep", largest=True)
    return rescaled(tensor, mask.reshape_as(tensor), rescale)


def magnitude_outliers(tensor, density: float, gamma: float, rescale: bool, sort: bool = False):
    import torch

    if density >= 1:
        return tensor
    n = tensor.numel()
    keep = int(density * n)
    top = int(gamma * n)
    bottom = max(0, n - keep - top)
    w = _magnitudes(tensor)
    if sort:
        mask = torch.zeros(n, dtype=tensor.dtype, device=tensor.device)
        w = w.float() if w.device.type == "cpu" else w
        mask[torch.sort(w, descending=False).indices[bottom:bottom + keep]] = 1
    else:
        # ascending ranks [bottom, bottom + keep): the bottom smallest are a subset of the
        # bottom + keep smallest (same tie order), so the difference of the 0/1 masks
        mask = _select(w, bottom + keep, tensor.dtype, "keep", largest=False)
        mask.sub_(_select(w, bottom, tensor.dtype, "drop", largest=False))
    return rescaled(tensor, mask.reshape_as(tensor), rescale)


def _work_dtype(tensor):
    import torch

    if tensor.device.type != "cpu" or tensor.dtype == torch.bfloat16:
        return tensor.dtype
    return torch.float32  # bernoulli has no float16 kernel on CPU


DRAW_CHUNK = chunk_elements()  # uniforms drawn per step on CPU


def _bernoulli_mask(shape, probs, generator):
    """torch.bernoulli(probs.expand(shape)): a 0/1 mask in probs' dtype, bit for bit, about
    3x faster on CPU.

    probs: keep-probabilities, one per element or a single one (0-dim), in the dtype of
    mergekit's probability tensor (a mask in the task vector's dtype multiplies it without
    a converted copy). torch's CPU kernel draws, per element in memory order, one float32
    uniform from the generator exactly as torch.rand does and keeps the element when it is
    below p; so rand < p is the same mask and leaves the generator in the same state
    (tests/merge/test_merge_random.py checks both). Other devices draw differently: there
    torch.bernoulli itself runs.
    """
    import torch

    if probs.device.type != "cpu":
        return torch.bernoulli(probs.expand(shape).contiguous(), generator=generator)
    mask = buffer("bernoulli_mask", shape, probs.dtype, probs.device).view(-1)
    flat = probs.reshape(-1)
    start = 0
    for u in _drawn(generator, mask.numel()):
        p = flat if flat.numel() == 1 else flat[start:start + u.numel()]
        torch.lt(u, p, out=mask[start:start + u.numel()])  # p promoted to float32, exactly
        start += u.numel()
    return mask.view(shape)


def _drawn(generator, n: int):
    """The generator's next n float32 uniforms, DRAW_CHUNK at a time."""
    import torch

    scratch = torch.empty(min(DRAW_CHUNK, n), dtype=torch.float32)
    for start in range(0, n, DRAW_CHUNK):
        yield scratch[:min(DRAW_CHUNK, n - start)].uniform_(generator=generator)


def bernoulli(tensor, density: float, rescale: bool, generator=None):
    import torch

    if density >= 1:
        return tensor
    work = _work_dtype(tensor)
    # mergekit: torch.bernoulli(torch.full_like(tensor, density, dtype=work))
    p = torch.tensor(density, dtype=work, device=tensor.device)
    mask = _bernoulli_mask(tensor.shape, p, generator)
    return rescaled(tensor.to(work), mask, rescale).to(tensor.dtype)


def della_magprune(tensor, density: float, epsilon: float, rescale: bool, generator=None):
    import torch

    if density >= 1:
        return tensor
    if density <= 0:
        return torch.zeros_like(tensor)
    if density + epsilon >= 1 or density - epsilon <= 0:
        raise ValueError("Epsilon must be chosen such that density +/- epsilon is in (0, 1)")
    shape = tensor.shape
    work = _work_dtype(tensor)
    if tensor.dim() < 2:
        tensor = tensor.unsqueeze(0)
    order = torch.argsort(tensor.abs(), dim=1, descending=False)
    # the rank of each element (the inverse permutation), without a second sort
    ranks = torch.empty_like(order)
    ranks.scatter_(1, order, torch.arange(order.shape[1], device=order.device).expand_as(order))
    ranks = ranks.to(work) + 1
    low = ranks.min(dim=1, keepdim=True).values
    high = ranks.max(dim=1, keepdim=True).values
    norm = ((ranks - low) / (high - low)).clamp(0, 1)
    probs = (density - epsilon) + norm * 2 * epsilon
    mask = _bernoulli_mask(probs.shape, probs, generator)
    return rescaled(tensor.to(work), mask, rescale).to(tensor.dtype).reshape(shape)
