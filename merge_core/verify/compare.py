"""## What it does
With `--compare REF_DIR`, compares the folder with another model folder tensor by tensor
(mergekit's own output of the same config, or a previous merge): tensors present in only
one of them and tensors whose shape or dtype differ (errors), and tensors whose values
differ by more than `--atol` (warnings), each with its largest absolute and relative
difference and how many values differ. Both tensors of a pair are read in chunks, one
pair at a time.

## Why is this bad?
A merge that should reproduce another (the same config run by mergekit, the same merge
before an upgrade) and does not is either a bug in one of the tools or a changed input;
the tensor names and the size of the differences say which layers and how much.
"""

from __future__ import annotations

from .check import Check, Finding
from .folder import open_folder
from .stream import CHUNK

CHECK = Check("MV201", "differs-from-reference", "warning", "A tensor differs from the reference folder's")


def compare(folder, ref_path: str, atol: float = 0.0, allow_pickle: bool = False) -> list[Finding]:
    """Findings of `folder` against the model folder `ref_path` (its own unreadable files included)."""
    ref, problems = open_folder(ref_path, allow_pickle)
    findings = [Finding(f.check, "", f"{ref_path}: {f.message}") for f in problems]
    if ref is None:
        return findings
    try:
        ours, theirs = folder.tensors, ref.tensors
        for name in sorted(set(ours) - set(theirs)):
            findings.append(Finding(CHECK, folder.shard_of(name), f"{name} is not in {ref_path}", severity="error"))
        for name in sorted(set(theirs) - set(ours)):
            findings.append(Finding(CHECK, "", f"{name} of {ref_path} is missing here", severity="error"))
        for name in sorted(set(ours) & set(theirs)):
            a, b = ours[name], theirs[name]
            if (a.shape, a.dtype) != (b.shape, b.dtype):
                findings.append(Finding(CHECK, folder.shard_of(name), f"{name} is {a.dtype} {list(a.shape)}, in "
                                        f"{ref_path} {b.dtype} {list(b.shape)}", severity="error"))
                continue
            found = _difference(a, b, atol)
            if found is not None:
                findings.append(Finding(CHECK, folder.shard_of(name), f"{name} differs from {ref_path}: " + found))
    finally:
        ref.close()
    return findings


def _difference(a, b, atol: float) -> str | None:
    import torch

    x, y = a.file.view(a).reshape(-1), b.file.view(b).reshape(-1)
    worst_abs = worst_rel = 0.0
    count = 0
    for begin in range(0, a.numel, CHUNK):
        p, q = x[begin:begin + CHUNK], y[begin:begin + CHUNK]
        if torch.equal(p, q):
            continue
        p, q = p.to(torch.float64), q.to(torch.float64)  # no integer overflow, no float16 rounding
        diff = (p - q).abs()
        over = int((diff > atol).sum())
        if over:
            count += over
            worst_abs = max(worst_abs, float(diff.max()))
            worst_rel = max(worst_rel, float((diff / q.abs().clamp_min(1e-30)).max()))
    a.file.release(a)
    b.file.release(b)
    if not count:
        return None
    return f"max |diff| {worst_abs:.3g}, max relative {worst_rel:.3g}, {count} of {a.numel} values beyond {atol:g}"
