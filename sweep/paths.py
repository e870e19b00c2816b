"""Search paths: `models[0].parameters.weight`, `parameters.t`, and where they lead in a config.

A path is dotted keys, each optionally followed by `[N]` list indexes. It must lead to a value the
base config already has: a sweep changes values, it never adds keys (a misplaced key would
otherwise be searched while mergekit ignores it).
"""

from __future__ import annotations

import re

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def parse(path: str) -> tuple[str | int, ...] | None:
    """The keys and indexes of `path`, or None where it is not written as the grammar says."""
    steps: list[str | int] = []
    for part in path.split("."):
        m = _STEP.fullmatch(part)
        if m is None:
            return None
        steps.append(m.group(1))
        steps.extend(int(i) for i in _INDEX.findall(m.group(2)))
    return tuple(steps)


def written(steps) -> str:
    """Steps as a path is written (the prefix a message names)."""
    out = ""
    for s in steps:
        out += f"[{s}]" if isinstance(s, int) else (f".{s}" if out else s)
    return out


def resolve(doc, steps) -> tuple[object, str | int]:
    """The container holding the path's last step and that step; ValueError saying which step is missing."""
    node = doc
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list):
                raise ValueError(f"{written(steps[:i]) or 'the config'} is not a list")
            if step >= len(node):
                raise ValueError(f"{written(steps[:i])} has {len(node)} item(s) (indexes 0 to {len(node) - 1})")
        else:
            if not isinstance(node, dict):
                raise ValueError(f"{written(steps[:i]) or 'the config'} is not a mapping")
            if step not in node:
                have = ", ".join(str(k) for k in node) or "no keys"
                raise ValueError(f"{written(steps[:i + 1])} is not in the config ({written(steps[:i]) or 'top level'} "
                                 f"has {have})")
        if last:
            return node, step
        node = node[step]
    raise ValueError("an empty path")
