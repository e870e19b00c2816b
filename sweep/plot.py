"""DIR/sweep.png (matplotlib) and DIR/sweep.html (plotly): the objective per trial and against each
searched parameter, drawn from results.jsonl's scored trials once the sweep ends (the `plot` extra)."""

from __future__ import annotations

import io
import os

from .results import Results


def panels(results: Results) -> list[tuple[str, list, list]]:
    """(x label, x values, objectives): per trial first, then one per parameter, scored trials only."""
    scored = sorted((r for r in results.finished if r.get("objective") is not None), key=lambda r: r["trial"])
    found = [("trial", [r["trial"] for r in scored], [r["objective"] for r in scored])]
    names = sorted({name for r in scored for name in r["params"]})
    found += [(name, [r["params"][name] for r in scored], [r["objective"] for r in scored]) for name in names]
    return found


def png(results: Results, title: str) -> bytes:
    from matplotlib.figure import Figure

    found = panels(results)
    fig = Figure(figsize=(9, 0.8 + 2.8 * len(found)), layout="constrained")  # no pyplot: no window, no state
    fig.suptitle(title, wrap=True)
    for ax, (label, xs, ys) in zip(fig.subplots(len(found), 1, squeeze=False)[:, 0], found):
        ax.plot([str(x) if isinstance(x, str) else x for x in xs], ys, marker="o", linestyle="-" if label == "trial"
                else "none")
        ax.set_xlabel(label)
        ax.set_ylabel("objective")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def html(results: Results, title: str) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    found = panels(results)
    fig = make_subplots(rows=len(found), cols=1, subplot_titles=[label for label, _, _ in found],
                        vertical_spacing=0.3 / len(found))
    for row, (label, xs, ys) in enumerate(found, start=1):
        fig.add_trace(go.Scatter(x=xs, y=ys, name=label, mode="lines+markers" if label == "trial" else "markers",
                                 hovertemplate=f"{label} %{{x}}: objective %{{y}}<extra></extra>"), row=row, col=1)
        fig.update_xaxes(title_text=label, row=row, col=1)
        fig.update_yaxes(title_text="objective", row=row, col=1)
    fig.update_layout(title_text=title, height=280 * len(found) + 120, showlegend=False)
    return fig.to_html(include_plotlyjs=True, full_html=True)


def write(results: Results, title: str) -> str | None:
    """Both pictures into the output folder; a note instead where the `plot` extra is missing."""
    try:
        pictures = {"sweep.png": png(results, title), "sweep.html": html(results, title).encode("utf-8")}
    except ImportError as e:
        return f"no plots: they need the `plot` extra (pip install 'mergelint[plot]'): {e}"
    for name, data in pictures.items():
        path = os.path.join(results.folder, name)
        tmp = f"{path}.tmp-{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return None
