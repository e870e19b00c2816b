"""What a method's math receives: the inputs of one output tensor.

Torch-free on purpose (the checker imports this package); the tensors inside are
torch tensors, all of one floating dtype and one shape, in the order of the
config's sources (a base auto-added under `models:` comes last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Group:
    name: str  # the output tensor's name
    tensors: list  # torch tensors, source order
    base: int | None = None  # index of the base model's tensor, if the method uses a base
    params: list[dict] = field(default_factory=list)  # per input: resolved per-model parameters
    generator: Any = None  # torch.Generator for the random methods
    vocabulary_axis: int | None = None
    # Break exact ties at a sparsification cut-off as mergekit does (by sorting the whole
    # tensor with torch.argsort) instead of by index after an O(n) selection.
    mergekit_sort: bool = False
    # called with an input's index once the math no longer needs that input: the engine
    # drops its pages from memory early (reading it again would still be correct)
    release: Any = None

    def done(self, index: int) -> None:
        if self.release is not None:
            self.release(index)

    @property
    def base_tensor(self):
        return None if self.base is None else self.tensors[self.base]

    @property
    def others(self) -> list[int]:
        """Indices of the non-base inputs, in source order."""
        return [i for i in range(len(self.tensors)) if i != self.base]

    def values(self, name: str, indices: list[int] | None = None) -> list:
        idx = range(len(self.tensors)) if indices is None else indices
        return [self.params[i][name] for i in idx]

