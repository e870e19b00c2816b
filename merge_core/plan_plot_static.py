"""The plan's panels as a PNG or SVG (matplotlib), drawn from plan_plot_data alone."""

from __future__ import annotations

import io

from .plan_plot_data import caption, panels
from .plan_report import Report


def figure(report: Report):
    """A matplotlib Figure (no pyplot: no window, no global state) with one axes per panel."""
    from matplotlib.figure import Figure

    found = panels(report)
    fig = Figure(figsize=(9, 0.8 + 2.8 * max(1, len(found))), layout="constrained")
    fig.suptitle(caption(report), wrap=True)
    if not found:
        fig.text(0.5, 0.5, "nothing to plot", ha="center", va="center")
        return fig
    for ax, panel in zip(fig.subplots(len(found), 1, squeeze=False)[:, 0], found):
        ax.set_title("\n".join([panel.title, *panel.notes]), fontsize="medium")
        for line in panel.lines:
            ax.plot(line.layers, [float("nan") if v is None else v for v in line.values], marker="o",
                    markersize=3, label=line.label)
        ax.set_xlabel("output layer")
        ax.set_ylabel(panel.y_label)
        ax.legend(fontsize="small")
    return fig


def render(report: Report, fmt: str) -> bytes:
    """The picture's bytes; SVG text stays text, to be read and searched."""
    from matplotlib import rc_context

    out = io.BytesIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "mergelint"}):
        figure(report).savefig(out, format=fmt)
    return out.getvalue()
