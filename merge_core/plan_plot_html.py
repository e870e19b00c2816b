"""The plan's panels as a self-contained HTML page (plotly, its JavaScript inlined: opens offline,
zooms, and shows each point's value on hover), drawn from plan_plot_data alone."""

from __future__ import annotations

from .plan_plot_data import LAYER_MAP, caption, panels
from .plan_report import Report

ROW_HEIGHT = 320


def figure(report: Report):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    found = panels(report)
    titles = ["<br>".join([p.title, *p.notes]) for p in found]
    fig = make_subplots(rows=max(1, len(found)), cols=1, subplot_titles=titles or None,
                        vertical_spacing=0.3 / max(1, len(found)))
    for row, panel in enumerate(found, start=1):
        reads = "input layer %{y}" if panel.title == LAYER_MAP else f"{panel.title} %{{y}}"
        for line in panel.lines:
            fig.add_trace(go.Scatter(x=line.layers, y=line.values, name=line.label, mode="lines+markers",
                                     legendgroup=panel.title, legendgrouptitle_text=panel.title,
                                     hovertemplate=f"output layer %{{x}}: {reads}<extra>{line.label}</extra>"),
                          row=row, col=1)
        fig.update_xaxes(title_text="output layer", row=row, col=1)
        fig.update_yaxes(title_text=panel.y_label, row=row, col=1)
    if not found:
        fig.add_annotation(text="nothing to plot", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title_text=caption(report), height=ROW_HEIGHT * max(1, len(found)) + 120,
                      legend_groupclick="toggleitem")
    return fig


def html(report: Report) -> str:
    """The whole page, as a string (the editor's webview shows the same)."""
    return figure(report).to_html(include_plotlyjs=True, full_html=True)
