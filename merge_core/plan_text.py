"""The plan for people: totals first, then one row per output layer, then (on request) every tensor.

A parameter whose value is the same over a layer's tensors shows that value; one that a filter
makes differ between tensors shows its range with a `*`. Tables longer than FOLD rows show
their head and tail; `--format json` has everything.
"""

from __future__ import annotations

import json

from .plan_report import KINDS, Report

FOLD = 16
HEAD = 6


def size(n: int | None) -> str:
    if n is None:
        return "unknown"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


def _seconds(s: float | None) -> str:
    if s is None:
        return "unknown"
    if s < 90:
        return f"{s:.1f} s"
    return f"{s / 60:.1f} min" if s < 5400 else f"{s / 3600:.1f} h"


def totals_lines(report: Report, device: str) -> list[str]:
    t = report.totals
    layers = f", {report.out_layers} layers" if report.out_layers is not None else ""
    lines = [f"plan: {len(report.tensors)} output tensors by {report.method}{layers}"]
    if report.missing:
        lines[0] = f"plan: {report.method}; not planned, models not found:"
        lines += [f"  {m}" for m in report.missing]
    speed = ("unknown" if t.throughput is None else
             f"{size(int(t.throughput))}/s {'measured by run here' if t.throughput_measured else 'default'}")
    lines += [
        f"  read         {size(t.read_bytes)}",
        f"  write        {size(t.write_bytes)}" + (f" in {report.shards} shard(s)" if report.shards else ""),
        f"  peak memory  {size(t.peak_memory_bytes)}",
    ]
    if device.startswith("cuda"):
        lines.append(f"  peak GPU     {size(t.peak_gpu_bytes)}")
    lines += [
        f"  disk at OUT  {size(t.disk_bytes)}",
        f"  time         {_seconds(t.seconds)}" + (f" (at {speed})" if t.seconds is not None else ""),
    ]
    return lines


def _value(values: list) -> str:
    distinct = list(dict.fromkeys(json.dumps(v) for v in values))
    if len(distinct) == 1:
        return _short(values[0])
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(numbers) == len(values):
        return f"{_short(min(numbers))}..{_short(max(numbers))}*"
    return "varies*"


def _source(source: dict) -> str:
    return source["model"] + (f":{source['layer']}" if source["layer"] is not None else "")


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return json.dumps(v) if not isinstance(v, str) else v


def layer_table(report: Report) -> list[str]:
    if not report.layers:
        return []
    columns = list(dict.fromkeys(name for row in report.layers for name in row["values"]))
    header = ["layer", "t", "tensors", "bytes", "sources", *columns]
    rows = [[str(r["layer"]), f"{r['t']:.3g}", str(r["tensors"]), size(r["bytes"]), " ".join(_source(s) for s in r["sources"]),
             *(_value(r["values"][c]) if c in r["values"] else "-" for c in columns)] for r in report.layers]
    folded = None
    if len(rows) > FOLD:
        folded = len(rows) - 2 * HEAD
        rows = rows[:HEAD] + rows[-HEAD:]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    fmt = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [fmt(header)] + [fmt(r) for r in rows]
    if folded:
        out.insert(1 + HEAD, f"... {folded} more rows (--format json lists every tensor)")
    if any("*" in c for r in rows for c in r[5:]):
        out.append("* differs between the layer's tensors (a filter)")
    return out


def tensor_lines(report: Report) -> list[str]:
    """Every output tensor with its sources and parameters (what `run --dry-run` always listed)."""
    lines = []
    for e in report.tensors:
        shared = json.dumps(e["parameters"], separators=(",", ":")) if e["parameters"] else ""
        how = report.method if e["kind"] == "merge" else KINDS[e["kind"]]
        lines.append(f"{e['name']} {e['shape']} {e['dtype']}  <- {how} {shared}".rstrip())
        for src in e["sources"]:
            params = e["model_parameters"].get(src["model"])
            mark = " (base)" if src["model"] == e["base"] else ""
            p = " " + json.dumps(params, separators=(",", ":")) if params else ""
            lines.append(f"    {src['model']}:{src['tensor']}{mark}{src.get('lora', '')}{p}")
    return lines


def render(report: Report, *, device: str = "cpu", tensors: bool = False) -> str:
    parts = [totals_lines(report, device)]
    table = layer_table(report)
    if table:
        parts.append(table)
    if tensors and report.tensors:
        parts.append(tensor_lines(report))
    return "\n\n".join("\n".join(p) for p in parts)
