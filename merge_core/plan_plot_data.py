"""What `mergelint plan --plot` draws, as plain data: one Panel per parameter, and a layer map.

A parameter's panel has a line per model (one "all models" line for a method-level parameter)
with its value at each output layer. Where a filter makes a layer's tensors differ, the tensors
that share their values over every layer form one line, named by the config's filter that all
of them match ("default" for the rest). The layer map has a line per model: for each output
layer, the input layer it reads; a flat or falling step is a repeated layer, a jump a skipped one.
Both renderers (plan_plot_static, plan_plot_html) draw exactly this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .plan_report import Report

SHARED = "all models"
LAYER_MAP = "layer map"


@dataclass
class Line:
    label: str
    layers: list[int]  # output layers (x), repeated where a model feeds a layer twice
    values: list[float | None]  # y; None where the parameter is unset


@dataclass
class Panel:
    title: str
    y_label: str
    lines: list[Line]
    notes: list[str] = field(default_factory=list)  # e.g. the layers a model skips or repeats


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _role(entry: dict) -> str:
    """A tensor's name with its layer index left out: the same weight in every layer."""
    return re.sub(rf"\.{entry['layer']}\.", ".*.", entry["name"], count=1)


def _series(report: Report) -> dict[tuple[str, str], dict[str, dict[int, float | None]]]:
    """(parameter, model or SHARED) -> role -> layer -> value, over the layered output tensors."""
    found: dict = {}
    for entry in report.tensors:
        if entry["layer"] is None or entry["kind"] != "merge":
            continue
        role = _role(entry)
        settings = [(SHARED, entry["parameters"]), *entry["model_parameters"].items()]
        for who, params in settings:
            for name, value in params.items():
                found.setdefault((name, who), {}).setdefault(role, {})[entry["layer"]] = _number(value)
    return found


def _lines(who: str, by_role: dict[str, dict[int, float | None]], filters: list[str]) -> list[Line]:
    groups: dict[tuple, list[str]] = {}
    for role, values in by_role.items():
        groups.setdefault(tuple(sorted(values.items())), []).append(role)
    lines = []
    for points, roles in groups.items():
        label = who
        if len(groups) > 1:
            named = [f for f in filters if all(f in r for r in roles)]
            label += " · " + (named[0] if named else "default")
        lines.append(Line(label, [x for x, _ in points], [y for _, y in points]))
    labels = [ln.label for ln in lines]
    for line, roles in zip(lines, groups.values()):
        if labels.count(line.label) > 1:  # a filter no group matches whole (one by layer): say which tensors
            line.label += " (" + ", ".join(r.rsplit(".*.", 1)[-1] for r in roles) + ")"
    return lines


def value_panels(report: Report) -> list[Panel]:
    panels: dict[str, Panel] = {}
    for (name, who), by_role in _series(report).items():
        lines = _lines(who, by_role, report.filters.get(name, []))
        lines = [ln for ln in lines if any(v is not None for v in ln.values)]
        if lines:
            panels.setdefault(name, Panel(name, name, [])).lines.extend(lines)
    return list(panels.values())


def _ranges(layers: list[int]) -> str:
    spans: list[list[int]] = []
    for i in layers:
        if spans and i == spans[-1][1] + 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def layer_map(report: Report) -> Panel | None:
    """Each output layer's input layer, per model; None when the output's layers are the inputs' own."""
    lines: dict[str, Line] = {}
    for row in report.layers:
        for source in row["sources"]:
            if isinstance(row["layer"], int) and source["layer"] is not None:
                line = lines.setdefault(source["model"], Line(source["model"], [], []))
                line.layers.append(row["layer"])
                line.values.append(source["layer"])
    if all(line.layers == line.values for line in lines.values()):
        return None
    notes = []
    for model, line in lines.items():
        used = [int(v) for v in line.values]
        repeated = sorted({i for i in used if used.count(i) > 1})
        skipped = [i for i in range(report.model_layers.get(model, max(used) + 1)) if i not in used]
        for what, which in (("repeated", repeated), ("skipped", skipped)):
            if which:
                notes.append(f"{model}: layers {_ranges(which)} {what}")
    return Panel(LAYER_MAP, "input layer", list(lines.values()), notes)


def panels(report: Report) -> list[Panel]:
    """Every panel of the plot: the parameters' values, then the layer map (slices, frankenmerges)."""
    found = value_panels(report)
    mapped = layer_map(report)
    return found + ([mapped] if mapped else [])


def caption(report: Report) -> str:
    """The plot's title: the method and the output's size, or why nothing is planned."""
    if report.missing:
        return f"{report.method}: not planned, models not found: " + "; ".join(report.missing)
    layers = f", {report.out_layers} output layers" if report.out_layers is not None else ""
    return f"{report.method}: {len(report.tensors)} output tensors{layers}"
