"""`mergelint plan --plot`: the data behind each panel, and the PNG, SVG and HTML drawn from it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from merge_core import plan_plot_html, plan_plot_static
from merge_core.plan_plot_data import LAYER_MAP, SHARED, panels
from merge_core.plan_report import make
from merge_core.run import Options
from mergelint.cli import main

def plan(*args):
    return CliRunner().invoke(main, ["plan", *map(str, args)], catch_exceptions=False)


def gradient(zoo):
    """A gradient over 4 layers, and a filtered weight: o_proj on its own gradient, the rest 0.5."""
    return (f"merge_method: linear\ndtype: float32\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: [0, 1]}}\n"
            f"  - model: {zoo.b}\n    parameters:\n      weight: [{{filter: o_proj, value: [1, 0]}}, {{value: 0.5}}]\n")


def frankenmerge(zoo):
    return ("merge_method: passthrough\ndtype: float32\nslices:\n"
            f"  - sources: [{{model: {zoo.a}, layer_range: [0, 3]}}]\n"
            f"  - sources: [{{model: {zoo.b}, layer_range: [1, 3]}}]\n")


def report_of(text):
    return make(text, Options())


def by_title(found):
    return {p.title: {line.label: (line.layers, line.values) for line in p.lines} for p in found}


def test_a_gradient_and_a_filter_give_one_line_per_model_and_filter(zoo):
    found = by_title(panels(report_of(gradient(zoo))))
    assert set(found) == {"weight", "normalize"}  # a models: merge has no layer map
    third = [0.0, 1 / 3, 2 / 3, 1.0]
    assert found["weight"] == {
        zoo.a: ([0, 1, 2, 3], pytest.approx(third)),
        f"{zoo.b} · o_proj": ([0, 1, 2, 3], pytest.approx(third[::-1])),
        f"{zoo.b} · default": ([0, 1, 2, 3], [0.5] * 4),
    }
    assert found["normalize"] == {SHARED: ([0, 1, 2, 3], [1.0] * 4)}


def test_a_frankenmerge_has_a_layer_map_with_repeats_and_skips(zoo):
    text = ("merge_method: passthrough\ndtype: float32\nslices:\n"
            f"  - sources: [{{model: {zoo.a}, layer_range: [0, 2]}}]\n"
            f"  - sources: [{{model: {zoo.a}, layer_range: [1, 2]}}]\n"
            f"  - sources: [{{model: {zoo.b}, layer_range: [3, 4]}}]\n")
    found = panels(report_of(text))
    layer_map = found[-1]
    assert layer_map.title == LAYER_MAP
    assert by_title([layer_map])[LAYER_MAP] == {zoo.a: ([0, 1, 2], [0, 1, 1]), zoo.b: ([3], [3])}
    assert layer_map.notes == [f"{zoo.a}: layers 1 repeated", f"{zoo.a}: layers 2-3 skipped",
                               f"{zoo.b}: layers 0-2 skipped"]
    assert [p.title for p in found] == [LAYER_MAP]  # passthrough's scale is unset: no value panel


def test_a_config_without_gradients_gives_constant_lines(zoo):
    text = (f"merge_method: linear\ndtype: float32\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 0.3}}\n"
            f"  - model: {zoo.b}\n    parameters: {{weight: 0.7}}\n")
    found = by_title(panels(report_of(text)))
    assert found["weight"] == {zoo.a: ([0, 1, 2, 3], [0.3] * 4), zoo.b: ([0, 1, 2, 3], [0.7] * 4)}


def test_png_figure_holds_the_panels_lines(zoo):
    report = report_of(gradient(zoo))
    fig = plan_plot_static.figure(report)
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == [p.title for p in panels(report)]
    weight = next(ax for ax in axes if ax.get_title() == "weight")
    lines = {ln.get_label(): list(ln.get_ydata()) for ln in weight.get_lines()}
    assert lines[f"{zoo.b} · o_proj"] == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0])


def plotly_data(page: str) -> tuple[list, dict]:
    """The figure plotly embeds: the arguments of Plotly.newPlot after the div's id."""
    start = re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*', page).end()
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(page, start)
    layout, _ = decoder.raw_decode(page, page.index("{", end))
    return data, layout


def test_html_is_offline_and_holds_the_traces(zoo, cfg, tmp_path):
    out = tmp_path / "plan.html"
    result = plan(cfg(frankenmerge(zoo)), "--plot", out)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert not re.search(r'<script[^>]+src="https?:', page)  # plotly.js inlined, no CDN
    data, layout = plotly_data(page)
    traces = {(t["legendgroup"], t["name"]): (t["x"], t["y"]) for t in data}
    assert traces[(LAYER_MAP, zoo.a)] == ([0, 1, 2], [0, 1, 2])
    assert traces[(LAYER_MAP, zoo.b)] == ([3, 4], [1, 2])
    titles = [a["text"] for a in layout["annotations"]]
    assert titles[0].startswith(LAYER_MAP) and f"{zoo.b}: layers 0, 3 skipped" in titles[0]
    # the page the editor can show too: the same figure (the div's id is random)
    assert plotly_data(plan_plot_html.html(report_of(frankenmerge(zoo)))) == (data, layout)


def test_svg_has_the_titles_and_legend_as_text(zoo, cfg, tmp_path):
    out = tmp_path / "plan.svg"
    result = plan(cfg(gradient(zoo)), "--plot", out, "--format", "json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # the plan is printed as asked
    svg = out.read_text()
    assert svg.startswith("<?xml") and "</svg>" in svg
    for text in ("weight", "normalize", "output layer", f"{os.path.basename(zoo.b)} · o_proj"):
        assert text in svg
    assert [f for f in os.listdir(tmp_path) if f.startswith(".")] == []  # no temporary file left


def test_png_is_written(zoo, cfg, tmp_path):
    out = tmp_path / "plan.png"
    assert plan(cfg(gradient(zoo)), "--plot", out).exit_code == 0
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_an_unknown_extension_is_a_usage_error(zoo, cfg, tmp_path):
    out = tmp_path / "plan.jpg"
    result = plan(cfg(gradient(zoo)), "--plot", out)
    assert result.exit_code == 2
    assert ".png, .svg, .html" in result.stderr and "'jpg'" in result.stderr
    assert result.stdout == "" and not out.exists()


def test_a_missing_folder_is_a_usage_error(zoo, cfg, tmp_path):
    result = plan(cfg(gradient(zoo)), "--plot", tmp_path / "nowhere" / "plan.svg")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_models_not_found_draw_what_is_known_and_say_so(zoo, cfg, tmp_path):
    missing = tmp_path / "nowhere"
    text = (f"merge_method: linear\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 0.5}}\n"
            f"  - model: {missing}\n    parameters: {{weight: 0.5}}\n")
    out = tmp_path / "plan.html"
    result = plan(cfg(text), "--plot", out)
    assert result.exit_code == 0
    assert "models not found" in result.stderr
    _, layout = plotly_data(out.read_text())
    assert "not planned, models not found" in layout["title"]["text"] and str(missing) in layout["title"]["text"]


def test_without_the_plot_extra(zoo, cfg, tmp_path):
    """matplotlib and plotly made unimportable: the message names the extra, exit 2, nothing written."""
    config = cfg(gradient(zoo))
    out = tmp_path / "plan.png"
    code = ("import sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('matplotlib', 'plotly'):\n"
            "            raise ImportError(f'No module named {name!r}')\n"
            "sys.meta_path.insert(0, Block())\n"
            "from mergelint.cli import main\n"
            f"main(['plan', {str(config)!r}, '--plot', {str(out)!r}])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 2, done.stderr
    assert "pip install 'mergelint[plot]'" in done.stderr and not out.exists()
