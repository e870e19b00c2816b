"""Working memory for the methods' math: chunk sizes and reusable buffers.

Fresh memory is expensive here. The engine has glibc map every allocation above
2 * SCRATCH_BYTES on its own and unmap it when freed (merge_core/execute.py: resident
memory stays close to the tensors alive), so each such allocation costs a page fault
and a zeroed page per 4 KB when first written: slerp ran 6x slower per element with a
fresh temporary per chunk, and a dare merge spent a third of its time in the kernel.
So methods
- work through large tensors in chunks whose temporaries stay under SCRATCH_BYTES
  (the heap hands the same memory back chunk after chunk), and
- keep whole-tensor working space (task vectors, masks) in `buffer`s, reused from
  one output tensor to the next, and
- make their results with `result`: memory that the writer hands back once it has
  written the tensor (`recycler`), for a later result.
"""

from __future__ import annotations

import math
import threading

SCRATCH_BYTES = 512 << 10
KEEP_RESULTS = 3  # written results' memory kept for reuse: about what is in flight

_buffers: dict = {}
_written: list = []  # uint8 tensors over written results' memory, free for reuse
_issued: set = set()  # data pointers `result` handed out for the current output tensor
_lock = threading.Lock()  # `result` runs on the math thread, a recycler on the writer's


def chunk_elements(rows: int = 1, itemsize: int = 4) -> int:
    """Elements per step when each temporary holds `rows` values of `itemsize` bytes per element."""
    return max(1 << 12, SCRATCH_BYTES // (max(rows, 1) * itemsize))


def buffer(slot: str, shape, dtype, device):
    """An uninitialised tensor of `shape` over memory kept for `slot`, grown when too small.

    The engine computes one output tensor at a time on one thread, so a slot is never in
    use twice at once; nothing that leaves a method (its result) may live in one.
    """
    import torch

    n = math.prod(shape)
    key = (slot, dtype, str(device))
    held = _buffers.get(key)
    if held is None or held.numel() < n:
        _buffers.pop(key, None)
        del held  # free the old one before the new one is made
        held = _buffers[key] = torch.empty(max(n, 1), dtype=dtype, device=device)
    return held[:n].view(shape)


def result(shape, dtype, device):
    """An uninitialised tensor for a method's result; on CPU in reused memory when some is free."""
    import torch

    if torch.device(device).type != "cpu":
        return torch.empty(shape, dtype=dtype, device=device)
    nbytes = dtype.itemsize * math.prod(shape)
    with _lock:  # the smallest that fits (list.remove would compare tensors by value)
        fits = [i for i, b in enumerate(_written) if b.numel() >= nbytes]
        raw = _written.pop(min(fits, key=lambda i: _written[i].numel())) if fits else None
    if raw is None:
        raw = torch.empty(max(nbytes, 1), dtype=torch.uint8)
    _issued.add(raw.data_ptr())
    return raw[:nbytes].view(dtype).view(shape)


def recycler(tensor):
    """For the output tensor just computed: a function that hands its memory back for reuse,
    to call once it is written; None if `result` did not make it. Call once per output."""
    import torch

    ours = tensor.device.type == "cpu" and tensor.untyped_storage().data_ptr() in _issued
    _issued.clear()  # whatever else was handed out for this output is gone
    if not ours:
        return None
    storage = tensor.untyped_storage()

    def recycle() -> None:
        with torch.inference_mode():
            raw = torch.empty(0, dtype=torch.uint8).set_(storage)
        with _lock:
            _written.append(raw)
            if len(_written) > KEEP_RESULTS:
                _written.pop(min(range(len(_written)), key=lambda i: _written[i].numel()))

    return recycle


def release_buffers() -> None:
    """Give all kept memory back (at the end of a merge)."""
    _buffers.clear()
    with _lock:
        _written.clear()
    _issued.clear()
