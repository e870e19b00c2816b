"""Reinforced Agent Merging, shared by ram and ramplus_tl: changes made by only one model are
added as they are (ramplus_tl boosts them), changes several models make are averaged over
those models."""

from __future__ import annotations

from . import common_params as cp
from .spec import Bounds

EPSILON = cp.number(
    "epsilon",
    1e-5,
    "A difference from the base larger than this counts as a change by that model.",
    Bounds(0.0, why="a negative threshold marks every entry as changed"),
)


def reinforced(group, epsilon: float, boost=None):
    """base + the changes only one model makes (scaled per model by boost(active, shared,
    unique) when given) + the shared changes averaged over the models making them."""
    import torch

    base = group.base_tensor
    if not group.others:
        return base
    tv = torch.stack([group.tensors[i] - base for i in group.others], dim=0).view(len(group.others), -1)
    active = tv.abs() > epsilon
    counts = active.sum(dim=0, keepdim=True)
    shared, unique = counts > 1, counts == 1
    tvz = tv * active
    lone = tvz * unique
    if boost is not None:
        lone = lone * boost(active, shared, unique).unsqueeze(-1)
    merged = (lone + (tvz * shared / counts.clamp(min=1))).sum(dim=0, keepdim=True)
    return base + merged.reshape_as(base)
