"""The numbered layer stacks of a folder's tensors, and the config values the checks compare with.

Unlike the merge planner's layout (merge_core/arch.py), a stack here keeps whatever indices
are present, gaps included: finding the gaps is the point.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..arch import _NUMBERED, LAYER_KEYS, config_value


@dataclass
class Stack:
    prefix: str
    layers: dict[int, dict[str, str]] = field(default_factory=dict)  # index -> {rest: tensor name}

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.layers.values())

    def common(self) -> frozenset[str]:
        """The most common set of tensors of one layer (ties: the larger set)."""
        counts = Counter(frozenset(v) for v in self.layers.values())
        return max(counts, key=lambda s: (counts[s], len(s)))


def stacks(names) -> list[Stack]:
    """Every numbered stack (`<prefix><i>.<rest>`), the largest first. A name is counted in its
    outermost stack (`model.layers.0.mlp.experts.3.w1` is layer 0 of `model.layers.`)."""
    found: dict[str, Stack] = {}
    for name in names:
        m = _NUMBERED.match(name)
        if m:
            found.setdefault(m.group(1), Stack(m.group(1))).layers.setdefault(int(m.group(2)), {})[m.group(3)] = name
    return sorted(found.values(), key=lambda s: (-s.size, s.prefix))


def main_stack(config: dict, names) -> tuple[Stack | None, int | None, str | None]:
    """The decoder's layer stack, the config's layer count and that count's key.

    The stack is the one whose layers number exactly the config's count, else the largest.
    """
    key, count = config_value(config, LAYER_KEYS)
    all_stacks = stacks(names)
    exact = [s for s in all_stacks if len(s.layers) == count]
    stack = exact[0] if exact else (all_stacks[0] if all_stacks else None)
    return stack, count, key


def config_int(config: dict, *keys: str) -> tuple[int | None, str | None]:
    """(value, dotted key) of the first integer found at the top level or in text_config."""
    key, value = config_value(config, keys)
    return value, key


def config_flag(config: dict, key: str) -> bool | None:
    """A boolean config value, at the top level or in text_config; None when not written."""
    for where in (config, config.get("text_config")):
        if isinstance(where, dict) and isinstance(where.get(key), bool):
            return where[key]
    return None
