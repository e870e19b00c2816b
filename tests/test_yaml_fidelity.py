"""The document model reads YAML exactly as mergekit's PyYAML safe_load does, with honest ranges."""

from __future__ import annotations

import datetime
import math

import pytest
import yaml

from checker_support import CORPUS, check_text, corpus_files
from mergelint.checker import decode
from mergelint.document import Node, Source, parse


def _same(a, b) -> bool:
    """Equality that also holds for NaN and keeps 1 apart from True."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _values(text: str) -> list:
    return [d.root.value if d.root is not None else None for d in parse(Source(text))]


def _scalars(node: Node):
    for n in node.walk():
        if n.is_scalar:
            yield n


CORPUS_FILES = corpus_files()


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_values_match_safe_load(path):
    source = decode(path.read_bytes(), str(path))
    documents = parse(source)
    try:
        expected = list(yaml.safe_load_all(source.text))
    except yaml.YAMLError:
        # safe_load refuses it: so does the document model, on the last document it read.
        assert documents and documents[-1].problem is not None
        assert [d.rule for d in check_text(source.text)].count("yaml-syntax") == 1
        return
    assert all(d.problem is None for d in documents)
    actual = [d.root.value if d.root is not None else None for d in documents]
    assert _same(actual, expected or [None][: len(actual)])


@pytest.mark.skipif(not CORPUS_FILES, reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_scalar_ranges_hold_their_text(path):
    """Every one-line scalar's range holds exactly the text that loads to its value."""
    source = decode(path.read_bytes(), str(path))
    checked = 0
    for document in parse(source):
        if document.root is None:
            continue
        for node in _scalars(document.root):
            start, end = node.range.start, node.range.end
            if start.line != end.line or node.tag != yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG and node.style:
                continue
            text = source.text[source.offset(start) : source.offset(end)]
            if node.value is None and text == "":
                continue  # an empty value: a zero-width range where it would be
            assert _same(yaml.safe_load(text), node.value), (start, text, node.value)
            checked += 1
    assert checked or all(d.root is None for d in parse(source))


@pytest.mark.parametrize(
    "text,expected",
    [
        ("a: yes\nb: no\nc: on\nd: off\ne: True\nf: NO\n", {"a": True, "b": False, "c": True, "d": False, "e": True, "f": False}),
        ("y: y\nn: n\n", {"y": "y", "n": "n"}),  # PyYAML does not read y/n as booleans
        ("a: 1e-5\nb: 1.0e-5\nc: 1.5\nd: .5\n", {"a": "1e-5", "b": 1e-05, "c": 1.5, "d": 0.5}),
        ("a: 0x10\nb: 1_000\nc: 017\nd: 0o17\ne: 1:30\nf: +12\n", {"a": 16, "b": 1000, "c": 15, "d": "0o17", "e": 90, "f": 12}),
        ("a: ~\nb: null\nc:\nd: ''\n", {"a": None, "b": None, "c": None, "d": ""}),
        ("a: .inf\nb: -.Inf\n", {"a": math.inf, "b": -math.inf}),
        ("a: 2024-01-02\n", {"a": datetime.date(2024, 1, 2)}),
        ("a: 1\na: 2\nb: {x: 1, x: 3}\n", {"a": 2, "b": {"x": 3}}),
        (
            "base: &b {weight: 0.5, density: 0.7}\nm:\n  <<: *b\n  weight: 1.0\n",
            {"base": {"weight": 0.5, "density": 0.7}, "m": {"weight": 1.0, "density": 0.7}},
        ),
        (
            "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
            {"a": {"x": 1}, "b": {"y": 2}, "c": {"x": 1, "y": 2, "z": 3}},
        ),
        ("a: !!str 5\nb: !!float 1\nc: '5'\n", {"a": "5", "b": 1.0, "c": "5"}),
        ("a: |\n  line one\n  line two\nb: >\n  folded\n  text\n", {"a": "line one\nline two\n", "b": "folded text\n"}),
        ("? [1, 2]\n: tuple\n", None),  # a list as a key: safe_load refuses it too
    ],
    ids=["bool-words", "y-n", "exponent-needs-dot", "ints", "nulls", "inf", "date", "duplicates-last-wins", "merge-key",
         "merge-key-list", "tags", "block-scalars", "unhashable-key"],
)
def test_yaml_1_1_values(text, expected):
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        loaded = None
        (document,) = parse(Source(text))
        assert document.root is None and document.problem is not None
        assert [d.rule for d in check_text(text)] == ["yaml-syntax"]
        return
    assert _same(loaded, expected)
    assert _same(_values(text), [expected])


@pytest.mark.parametrize(
    "text",
    ["a:\tb\n", "a: b\t\n", "a: b\t# c\n", "a: b\tc\n", "a: [b,\tc]\n", "- a\t\n", "a: b \tc\n", "a: {b:\tc}\n",
     "a: b\n  \t\n", "a: b\n \t# c\n", "merge_method: linear\nmodels:\n  - model: org/a\t\n"],
)
def test_tabs_that_libyaml_accepts_and_safe_load_refuses(text):
    """mergekit loads with PyYAML's pure-Python safe_load: a tab libyaml would accept is still an error."""
    yaml.load(text, Loader=yaml.CSafeLoader)
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    diagnostics = check_text(text)
    assert [d.rule for d in diagnostics] == ["yaml-syntax"]
    (d,) = diagnostics
    assert text.split("\n")[d.range.start.line][d.range.start.column] == "\t"


@pytest.mark.parametrize(
    "text",
    ["a: {b: 1, d?x: 2}\n", "a: [x?]\n", "a: [0:, 44]\n", "a: {w:, 1}\n", "a: [!, 31]\n", "a: 1\nb: !\n", "a: 1\n\ufeffb: 2\n"],
    ids=["question-in-flow-map", "question-in-flow-list", "colon-comma", "colon-comma-map", "empty-tag", "empty-tag-value", "inner-bom"],
)
def test_other_constructs_libyaml_reads_differently(text):
    """Found by differential fuzzing (libyaml vs PyYAML): the checker reads them as safe_load does."""
    def read(loader):
        try:
            return repr(yaml.load(text, Loader=loader))
        except yaml.YAMLError:
            return "error"

    assert read(yaml.CSafeLoader) != read(yaml.SafeLoader)  # the case does differ
    expected = read(yaml.SafeLoader)
    documents = parse(Source(text))
    if expected == "error":
        assert documents[-1].problem is not None
        assert "yaml-syntax" in [d.rule for d in check_text(text)]
    else:
        assert [d.problem for d in documents] == [None]
        assert repr(documents[0].root.value) == expected


@pytest.mark.parametrize("text", ['a: "b\tc"\n', "a: |\n  b\tc\n", "a: 1 #\tx\n", "a: 'x\t'\n"])
def test_tabs_that_safe_load_accepts(text):
    assert _same(_values(text), [yaml.safe_load(text)])
    assert "yaml-syntax" not in [d.rule for d in check_text(text)]


def test_merge_keys_and_duplicates_as_nodes():
    """Node.get follows safe_load: an explicit key beats a merged one, and the last duplicate wins."""
    text = "d: &d {weight: 0.5, density: 0.7}\nm:\n  <<: *d\n  weight: 1.0\n  t: 1\n  t: 2\n"
    (document,) = parse(Source(text))
    m = document.root.get("m")
    assert m.get("weight").value == 1.0 and m.get("weight").range.start.line == 3
    assert m.get("density").value == 0.7 and m.get("density").range.start.line == 0  # where it was written
    assert m.get("t").value == 2 and m.key_node("t").range.start.line == 5


def test_several_documents_are_read_one_by_one():
    text = "merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n---\nmerge_method: slerp\n---\n"
    documents = parse(Source(text))
    assert [d.index for d in documents] == [0, 1, 2]
    assert [d.start_line for d in documents] == [0, 3, 5]
    assert _same([d.root.value for d in documents], list(yaml.safe_load_all(text)))


def test_scalar_styles_are_the_same_for_both_loaders():
    (document,) = parse(Source("a: plain\nb: 'single'\nc: \"double\"\nd: |\n  lit\n"))
    assert [document.root.get(k).style for k in "abcd"] == [None, "'", '"', "|"]


def test_exponent_without_dot_is_read_as_mergekit_coerces_it():
    # safe_load gives the string '1e-5'; mergekit turns it into a float later: no diagnostic.
    text = "merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1e-5}\n"
    assert check_text(text) == []
    assert check_text(text.replace("1e-5", "yes")) == []  # a YAML boolean is a number to mergekit
    assert [d.rule for d in check_text(text.replace("1e-5", "heavy"))] == ["invalid-value"]


def test_positions_count_code_points():
    text = 'merge_method: linear\nmodels:\n  - model: "ünï/cödé😀"  # ✓\n  - model: b\n'
    diags = check_text(text)
    first = diags[0]
    assert first.rule == "missing-required-parameter"
    line = text.split("\n")[2]
    assert line[first.range.start.column : first.range.end.column] == '"ünï/cödé😀"'


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\x85", "\u2028", "\u2029"])
def test_positions_after_other_line_breaks(newline):
    """YAML ends lines at CR, NEL, LS and PS too: the line table must agree with the parser's marks."""
    text = f"# a comment{newline}merge_method: linear{newline}models:{newline}  - model: org/a{newline}"
    source = Source(text)
    (diag,) = check_text(text)
    assert diag.range.start.line == 3
    assert source.lines[3][diag.range.start.column : diag.range.end.column] == "org/a"
    fix = diag.fixes[0]
    assert fix.title == "Add weight: 1.0"
    from mergelint.fixing import apply_edits

    assert yaml.safe_load(apply_edits(source, fix.edits))["models"] == [{"model": "org/a", "parameters": {"weight": 1.0}}]


def test_control_character_is_located():
    # \f is not a YAML line break (str.splitlines() would count one) and safe_load refuses it anywhere.
    text = "merge_method: linear\nmodels: # \f\n  - model: a\n"
    (diag,) = check_text(text)
    assert diag.rule == "yaml-syntax" and "U+000C" in diag.message
    assert (diag.range.start.line, diag.range.start.column) == (1, 10)
    assert Source(text).lines[2] == "  - model: a"


def test_control_character_after_multibyte_text_is_located_in_code_points():
    text = "ééé: 😀\nb: \x01\n"
    (diag,) = check_text(text)
    assert diag.rule == "yaml-syntax" and "U+0001" in diag.message
    assert (diag.range.start.line, diag.range.start.column, diag.range.end.column) == (1, 3, 4)
