"""Inlay hints: after each gradient list and filtered value, the value it gives per output layer.

The label is compact (at most SAMPLES layers, evenly spread); the tooltip lists every layer.
"""

from __future__ import annotations

from lsprotocol import types

from merge_core.inspect import Inspector
from mergelint.config_view import ConfigView

from . import layer_values
from .documents import Tree
from .positions import LineIndex

SAMPLES = 5


def _short(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def label(layers: list[tuple[int, object]]) -> str:
    values = [v for _, v in layers]
    if all(v == values[0] for v in values):
        return f"L{layers[0][0]}-{layers[-1][0]} {_short(values[0])}"
    n = len(layers)
    picks = sorted({round(k * (n - 1) / (SAMPLES - 1)) for k in range(SAMPLES)}) if n > SAMPLES else range(n)
    return " · ".join(f"L{layers[i][0]} {_short(layers[i][1])}" for i in picks)


def tooltip(setting: layer_values.Setting) -> str:
    lines = [f"layer {i}: {v:.6g}" if isinstance(v, float) else f"layer {i}: {_short(v)}" for i, v in setting.layers]
    return "\n".join(([setting.note, ""] if setting.note else []) + ["value per output layer:"] + lines)


def inlay_hints(tree: Tree, index: LineIndex, inspector: Inspector, within: types.Range) -> list[types.InlayHint]:
    if tree.source is None:
        return []
    hints = []
    for doc in tree.documents:
        if doc.root is None or not doc.root.is_map:
            continue
        for setting in layer_values.settings(ConfigView(doc.root), inspector):
            at = index.from_checker(tree.source, setting.node.range).end
            if not (within.start.line <= at.line <= within.end.line):
                continue
            text = label(setting.layers)
            hints.append(types.InlayHint(
                position=at,
                label=f"(unused) {text}" if setting.note else text,
                kind=types.InlayHintKind.Parameter,
                tooltip=tooltip(setting),
                padding_left=True,
            ))
    return hints
