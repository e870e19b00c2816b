"""`mergelint plan --plot FILE`: the picture's format by FILE's extension, and the file written whole.

matplotlib and plotly (the `plot` extra) are imported here only when a plot is asked for.
"""

from __future__ import annotations

import importlib
import os
import tempfile

from .plan_report import Report

LIBRARIES = {"png": "matplotlib", "svg": "matplotlib", "html": "plotly"}


class PlotError(Exception):
    """Unusable --plot input (exit 2): an unknown extension, no plot extra, an unwritable file."""


def plot_format(path: str) -> str:
    """The picture's format: FILE's extension, checked, with the plotting library importable."""
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in LIBRARIES:
        allowed = ", ".join(f".{f}" for f in LIBRARIES)
        raise PlotError(f"--plot {path}: unknown picture format {fmt or '(no extension)'!r}; use {allowed}")
    try:
        importlib.import_module(LIBRARIES[fmt])
    except ImportError as e:
        raise PlotError(f"--plot needs the `plot` extra (pip install 'mergelint[plot]'): {e}") from None
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise PlotError(f"--plot {path}: folder {folder} does not exist")
    return fmt


def picture(report: Report, fmt: str) -> bytes:
    if fmt == "html":
        from .plan_plot_html import html

        return html(report).encode("utf-8")
    from .plan_plot_static import render

    return render(report, fmt)


def write(report: Report, path: str) -> None:
    """Draw the report into `path` by way of a temporary file beside it: never half a picture."""
    data = picture(report, plot_format(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mergelint-plot-", dir=os.path.dirname(os.path.abspath(path)))
    except OSError as e:
        raise PlotError(f"--plot {path}: cannot write there: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep the picture from whoever it is shared with
        os.replace(tmp, path)
    except OSError as e:
        os.unlink(tmp)
        raise PlotError(f"--plot {path}: cannot write it: {e.strerror}") from None
