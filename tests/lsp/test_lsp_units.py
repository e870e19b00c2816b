"""Unit tests of the server's pure parts: positions, the cursor reader, the package's import arrows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from lsp.context import at_cursor
from lsp.positions import LineIndex

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-16", 6), ("utf-8", 9), ("utf-32", 5)],
)
def test_columns_in_each_encoding(encoding, expected):
    text = "a: 😀é\r\nb: 1\n"
    index = LineIndex(text, encoding)
    end_of_line = text.index("\r")
    assert index.position(end_of_line) == types.Position(line=0, character=expected)
    assert index.offset(types.Position(line=0, character=expected)) == end_of_line
    assert index.position(text.index("b")) == types.Position(line=1, character=0)


def test_positions_past_the_end_are_clamped():
    index = LineIndex("ab\ncd", "utf-16")
    assert index.offset(types.Position(line=0, character=99)) == 2
    assert index.offset(types.Position(line=9, character=0)) == 5
    assert index.cursor(types.Position(line=9, character=9)) == (1, 2)
    # the middle of a surrogate pair maps to the character's start
    wide = LineIndex("😀x", "utf-16")
    assert wide.offset(types.Position(line=0, character=1)) == 0
    assert wide.offset(types.Position(line=0, character=2)) == 1


def test_lone_surrogates_do_not_break_positions():
    index = LineIndex("a\udc80b", "utf-16")
    assert index.position(3) == types.Position(line=0, character=3)


@pytest.mark.parametrize(
    "marked, kind, path, key",
    [
        ("merge_method: ties\nmodels:\n  - model: a\n    parameters:\n      |", "key", ["models", "[]", "parameters"], None),
        ("models:\n- model: a\n  parameters:\n    weight:\n      - filter: x\n        |", "key",
         ["models", "[]", "parameters", "weight", "[]"], None),
        ("slices:\n  - sources:\n      - model: |", "value", ["slices", "[]", "sources", "[]"], "model"),
        ("a: 1\n---\nmerge_method: |", "value", [], "merge_method"),
        ("merge_method: ties # |", "none", [], None),
        ("layer_range: [0, |", "none", [], None),
    ],
)
def test_cursor_reader(marked, kind, path, key):
    before, _, after = marked.partition("|")
    lines = (before + after).split("\n")
    line = before.count("\n")
    cursor = at_cursor(lines, line, len(before) - (before.rfind("\n") + 1))
    assert (cursor.kind, cursor.path if kind != "none" else [], cursor.key) == (kind, path, key)


def test_mergelint_does_not_import_lsp():
    """Arrows point one way: lsp -> mergelint -> merge_core; only `mergelint lsp` reaches lsp."""
    code = (
        "import sys, mergelint.cli, mergelint.checker, mergelint.fixing, merge_core.schema\n"
        "bad = sorted(m for m in sys.modules if m == 'lsp' or m.startswith('lsp.') or m.startswith('pygls'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    for path in (ROOT / "mergelint").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import lsp", "from lsp")):
                assert path.name == "cli.py", f"{path} imports lsp"
    for path in (ROOT / "merge_core").rglob("*.py"):
        for line in path.read_text().splitlines():
            assert not line.strip().startswith(("import lsp", "from lsp", "import mergelint", "from mergelint")), path


@pytest.mark.skipif(os.name != "posix", reason="the event-loop reader is for POSIX pipes")
def test_stdio_reads_its_own_pipe_on_the_event_loop(tmp_path):
    """Editors start the server with one pipe each way: those are read on the event loop;
    a file, or one socket for both directions (non-blocking would reach stdout too), keep
    pygls's reader."""
    from lsp.stdio import usable

    r_in, w_in = os.pipe()
    r_out, w_out = os.pipe()
    a, b = socket.socketpair()
    with open(r_in, "rb") as stdin, open(w_out, "wb") as stdout, (tmp_path / "f").open("w+b") as file:
        assert usable(stdin, stdout)
        assert not usable(file, stdout)
        with a.makefile("rb") as sock_in, a.makefile("wb") as sock_out:
            assert not usable(sock_in, sock_out)
    for fd in (w_in, r_out):
        os.close(fd)
    a.close()
    b.close()


def test_an_edit_cancels_the_plans_of_texts_not_yet_planned(tmp_path):
    """Typing queues no plans of versions already gone: of three texts asked for in a row, the
    first is planning (a child process) when the third comes, so the second never starts."""
    from lsp.plans import Plans

    plans = Plans()
    texts = [f"merge_method: linear\nmodels:\n  - model: ./nowhere/m{n}\n    parameters: {{weight: 1}}\n"
             for n in range(3)]
    futures = [plans.of("file:///doc.yml", text, str(tmp_path)) for text in texts]
    try:
        assert futures[1].cancelled()
        for n in (0, 2):
            outcome = futures[n].result(timeout=120)
            assert len(outcome.report["missing_models"]) == 1 and f"nowhere/m{n}" in outcome.report["missing_models"][0]
        assert plans.made(texts[2], str(tmp_path)) is futures[2].result()
        assert plans.of("file:///other.yml", texts[0], str(tmp_path)) is futures[0]  # one plan per text
    finally:
        plans.shutdown()
