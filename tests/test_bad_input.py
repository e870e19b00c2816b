"""Any bytes at all: diagnostics or a clear one-line error, never a traceback, and every range
(of a diagnostic or of a fix's edit) inside the document."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker_support import STATIC, assert_ranges_inside, check_text, corpus_files, fixture_files
from mergelint.check_context import CheckContext
from mergelint.checker import MAX_BYTES, check_source, decode
from mergelint.document import Source, parse
from mergelint.fixing import apply_edits, apply_fixes
from merge_core.methods import METHODS

# Modest by default (the suite stays fast); MERGELINT_FUZZ_EXAMPLES=5000 for a deeper run.
EXAMPLES = int(os.environ.get("MERGELINT_FUZZ_EXAMPLES", "120"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def mergekit_reads(text: str) -> list:
    """What safe_load gives for a file whose text after its BOM, if any, is `text` (a Source's text:
    decoding dropped that BOM, and PyYAML skips one, so a BOM left at the start is a character)."""
    return list(yaml.safe_load_all("\ufeff" + text))


def check_everything(text: str) -> list:
    """check_source must not raise; ranges must be inside; a fix must not break a file that parsed."""
    source = Source(text, "fuzz.yml")
    diagnostics = check_source(source)
    assert_ranges_inside(source, diagnostics)
    parsed = not any(d.rule == "yaml-syntax" for d in diagnostics)
    for d in diagnostics:
        for fix in d.fixes:
            fixed = apply_edits(source, fix.edits)
            if parsed:
                mergekit_reads(fixed)  # the fix keeps the YAML valid
            check_source(Source(fixed, "fuzz.yml"))
    return diagnostics


# Mutated real configs.

SEEDS = [p.read_text(encoding="utf-8-sig") for p in corpus_files() + fixture_files()]
SEEDS = [s for s in SEEDS if s.strip()] or ["merge_method: linear\nmodels:\n  - model: org/a\n"]
SPECIAL = list(":-#[]{}&*!|>'\"%@`,?\t\n\r ") + ["\u00e9", "\u2028", "\x85", "\ufeff", "\U0001f600", "\x00", "\x0c", "\ud7ff"]
some_char = st.one_of(st.sampled_from(SPECIAL), st.characters(codec="utf-8"), st.characters(max_codepoint=127))


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        lines = text.split("\n")
        kind = draw(st.sampled_from(["char", "delete-line", "duplicate-line", "tab", "insert", "swap-lines", "indent"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        line = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "char" and text:
            text = text[:at] + draw(some_char) + text[at + 1 :]
        elif kind == "delete-line":
            del lines[line]
            text = "\n".join(lines)
        elif kind == "duplicate-line":
            lines.insert(line, lines[line])
            text = "\n".join(lines)
        elif kind == "tab":
            text = text[:at] + "\t" + text[at:]
        elif kind == "insert":
            text = text[:at] + draw(st.text(some_char, max_size=8)) + text[at:]
        elif kind == "swap-lines":
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            text = "\n".join(lines)
        elif kind == "indent":
            lines[line] = " " * draw(st.integers(1, 4)) + lines[line]
            text = "\n".join(lines)
    return text


@PROPERTY
@given(mutated())
def test_mutated_configs_never_crash(text):
    diagnostics = check_everything(text)
    # And the checker reads the broken text as mergekit's safe_load does: same values, or an error.
    try:
        expected = mergekit_reads(text)
    except yaml.YAMLError:
        assert "yaml-syntax" in [d.rule for d in diagnostics]
        return
    documents = parse(Source(text))
    if any(_recursive(v) for v in expected):  # safe_load builds it; the checker refuses it on purpose
        assert "recursive alias" in documents[-1].problem.message
        return
    assert [d.problem for d in documents] == [None] * len(documents)
    assert [repr(d.root.value) for d in documents] == [repr(v) for v in expected]


def _recursive(value, inside=()) -> bool:
    """Whether a loaded value contains itself (`a: &a [*a]`: see test_recursive_alias)."""
    if id(value) in inside:
        return True
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_recursive(child, (*inside, id(value))) for child in children)


# Random YAML, shaped like merge configs often enough to reach the rules.

KEYS = ["merge_method", "models", "slices", "sources", "model", "parameters", "weight", "density", "t", "epsilon",
        "lambda", "normalize", "base_model", "layer_range", "dtype", "out_dtype", "tokenizer_source", "tokenizer",
        "chat_template", "filter", "value", "modules", "source", "tokens", "kind", "token_id", "experts", "name", "<<"]
REFS = ["org/a", "org/b", "org/base", "org/base+org/lora", "a+b+c", "x@1@2", "+", "@", "org/a@main", "./local", ""]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 40), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*METHODS, "dare-ties", "bf16", "bfloat16", "union", "Union", "chatml", *REFS]),
    st.text(some_char.filter(lambda c: c not in "\x00\ufeff"), max_size=10),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(st.characters(max_codepoint=0x2FF), max_size=6), st.integers(0, 3))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)


@st.composite
def configs(draw):
    def entry():
        item = {"model": draw(st.sampled_from(REFS))}
        if draw(st.booleans()):
            item["parameters"] = draw(st.dictionaries(st.sampled_from(KEYS[6:12]), values, max_size=3))
        if draw(st.booleans()):
            item["layer_range"] = draw(st.lists(st.integers(-2, 40), min_size=0, max_size=3))
        if draw(st.booleans()):
            item[draw(st.sampled_from(KEYS))] = draw(values)
        return item

    config = {"merge_method": draw(st.sampled_from([*METHODS, "dare-ties", "Linear", None]))}
    shape = draw(st.sampled_from(["models", "slices", "both", "modules"]))
    if shape in ("models", "both"):
        config["models"] = [entry() for _ in range(draw(st.integers(0, 4)))]
    if shape in ("slices", "both"):
        config["slices"] = [{"sources": [entry() for _ in range(draw(st.integers(0, 3)))]} for _ in range(draw(st.integers(0, 3)))]
    if shape == "modules":
        config["modules"] = {"text": {"models": [entry() for _ in range(draw(st.integers(0, 3)))]}}
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=4)):
        config[key] = draw(values)
    return config


@st.composite
def yaml_texts(draw):
    data = draw(st.one_of(configs(), values))
    flow = draw(st.sampled_from([None, True, False]))
    style = draw(st.sampled_from([None, None, '"', "'"]))
    text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=draw(st.booleans()),
                          sort_keys=draw(st.booleans()), indent=draw(st.integers(2, 4)), width=draw(st.integers(20, 200)))
    if draw(st.booleans()):  # comments and suppressions between lines
        lines = text.split("\n")
        at = draw(st.integers(0, len(lines)))
        comment = draw(st.sampled_from(["# note", "# mergelint: disable=unknown-key", "# mergelint: disable-file=ML102, nope"]))
        lines.insert(at, comment)
        text = "\n".join(lines)
    return text


@PROPERTY
@given(yaml_texts())
def test_random_yaml_never_crashes_and_reads_as_safe_load(text):
    check_everything(text)
    documents = parse(Source(text))
    expected = list(yaml.safe_load_all(text))
    assert len(documents) == len(expected)
    assert [repr(d.root.value) for d in documents] == [repr(v) for v in expected]


@settings(max_examples=max(EXAMPLES // 3, 1), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_texts())
def test_fix_all_terminates_on_random_configs(text):
    fixed, diagnostics, _ = apply_fixes(CheckContext(Source(text, "fuzz.yml")))
    assert_ranges_inside(fixed, diagnostics)
    list(yaml.safe_load_all(fixed.text))


@PROPERTY
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_refuse(data):
    """decode() either gives text that checks, or refuses with an InputError (exit 2)."""
    from mergelint.checker import InputError

    try:
        source = decode(data, "fuzz.yml")
    except InputError as e:
        assert "\n" not in str(e)
        return
    diagnostics = check_source(source)
    assert_ranges_inside(source, diagnostics)


# Explicit bad inputs.


def _cli(*args, cwd, input=None):
    return subprocess.run([sys.executable, "-m", "mergelint", *args], cwd=cwd, capture_output=True, input=input, timeout=60)


def test_50_mb_file_is_refused_with_one_line(tmp_path):
    path = tmp_path / "huge.yml"
    line = b"  - model: org/a\n    parameters: {weight: 1.0}\n"
    with open(path, "wb") as f:
        f.write(b"merge_method: linear\nmodels:\n")
        f.write(line * (50 * 2**20 // len(line)))
    assert path.stat().st_size > 50 * 10**6
    start = time.perf_counter()
    result = _cli("check", "huge.yml", cwd=tmp_path)
    assert time.perf_counter() - start < 20
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr == b"mergelint: huge.yml: 52 MB is too large for a merge config (limit 10 MiB)\n"


def test_oversized_stdin_is_refused_with_one_line(tmp_path):
    data = b"merge_method: linear\n" + b"# padding\n" * (MAX_BYTES // 10 + 10)
    result = _cli("check", "-", cwd=tmp_path, input=data)
    assert result.returncode == 2
    assert result.stderr.count(b"\n") == 1 and b"too large" in result.stderr


@pytest.mark.parametrize(
    "text,message",
    [
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "exceeded maximum nesting depth"),
        ("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n", "exceeded maximum nesting depth"),
        ("".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v\n", "nesting deeper than 100 levels"),
        ("".join("  " * i + "-\n" for i in range(300)) + "  " * 300 + "x\n", "nesting deeper than 100 levels"),
        # With a `?` the text is also read by PyYAML's own (pure-Python) loader, whose scanner is
        # quadratic in flow depth: the depth guards must stop it first.
        ("why?: x\na: " + "[" * 20000 + "]" * 20000 + "\n", "exceeded maximum nesting depth"),
        ("why?: x\n" + "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v\n", "nesting deeper than 100 levels"),
    ],
    ids=["flow-lists", "flow-maps", "block-maps", "block-lists", "flow-lists-pyyaml", "block-maps-pyyaml"],
)
def test_deep_nesting(text, message):
    start = time.perf_counter()
    diagnostics = check_text(text)
    assert time.perf_counter() - start < 5
    (d,) = diagnostics
    assert d.rule == "yaml-syntax" and message in d.message
    assert_ranges_inside(Source(text), diagnostics)


def test_billion_laughs():
    text = "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)
    )
    start = time.perf_counter()
    (d,) = check_text(text)
    assert time.perf_counter() - start < 5
    assert d.rule == "yaml-syntax" and "expands to more than" in d.message


def test_alias_bomb_as_merge_keys():
    text = "a0: &a0 {x: 1, y: 2, z: 3}\n" + "".join(
        f"a{i}: &a{i} {{k: [{', '.join([f'*a{i - 1}'] * 8)}]}}\n" for i in range(1, 9)
    ) + "merge_method: linear\nmodels:\n  - model: m\n    parameters:\n      <<: *a8\n"
    diagnostics = check_text(text)
    assert [d.rule for d in diagnostics] == ["yaml-syntax"]


def test_moderate_aliases_are_fine():
    text = "p: &p {weight: 0.5}\nmerge_method: linear\nmodels:\n" + "".join(f"  - model: org/m{i}\n    parameters: *p\n" for i in range(50))
    assert [d.rule for d in check_text(text)] == ["unknown-key"]  # only the `p` helper key


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a\n  b: [1, *a]\n"], ids=["list", "map", "nested"])
def test_recursive_alias(text):
    (d,) = check_text(text)
    assert d.rule == "yaml-syntax" and "recursive alias" in d.message
    assert (d.range.start.line, d.range.start.column) == (0, 3)


def test_tabs():
    (d,) = check_text("merge_method: linear\nmodels:\n\t- model: a\n")
    assert d.rule == "yaml-syntax" and (d.range.start.line, d.range.start.column, d.range.end.column) == (2, 0, 1)
    assert "use spaces" in d.message
    # Inside quotes, block scalars and comments a tab is fine, as for safe_load.
    text = 'merge_method: linear  #\tcomment\nmodels:\n  - model: "a\t"\n    parameters: {weight: 1}\nchat_template: |\n  {{\tx }}\n'
    assert [x.rule for x in check_text(text)] == ["tokenizer-options"]  # (not a template mergekit can use)


def test_utf8_bom_keeps_positions(tmp_path):
    text = "merge_method: dare-ties\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 1}\n"
    source = decode(b"\xef\xbb\xbf" + text.encode(), "bom.yml")
    (d,) = check_source(source, STATIC)
    assert d.rule == "unknown-merge-method"
    line = source.lines[0]
    assert line[d.range.start.column : d.range.end.column] == "dare-ties"
    assert apply_edits(source, d.fixes[0].edits) == text.replace("dare-ties", "dare_ties")
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = _cli("check", "--format", "json", "--ignore", "model-not-found", "bom.yml", cwd=tmp_path)
    assert b'"column": 15' in result.stdout and result.returncode == 1
    _cli("check", "--fix", "bom.yml", cwd=tmp_path)
    # Fixed, and still with its BOM: --fix changes only what the fix edits.
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.replace("dare-ties", "dare_ties").encode()


def test_several_documents_are_linted_one_by_one():
    text = (
        "name: first\nmerge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\n"
        "---\nname: second\nmerge_method: slerp\nbase_model: a\nmodels:\n  - model: a\n  - model: b\n"
        "---\n"
    )
    diagnostics = check_text(text)
    assert [(d.rule, d.document, d.range.start.line) for d in diagnostics] == [
        ("missing-required-parameter", 1, 7),  # slerp without t, in the second document
        ("invalid-value", 2, 13),  # the empty third document, where its content would be
    ]
    assert diagnostics[0].fixes[0].edits[0].range.start.line == 11  # added to the second document


def test_syntax_error_in_a_later_document():
    text = "merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n---\nmodels: [\n"
    diagnostics = check_text(text)
    assert [(d.rule, d.document) for d in diagnostics] == [("yaml-syntax", 1)]
    assert diagnostics[0].range.start.line >= 3


def test_non_utf8(tmp_path):
    (tmp_path / "c.yml").write_bytes("merge_method: linéar\n".encode("latin-1"))
    result = _cli("check", "c.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == b"mergelint: c.yml: not UTF-8 text (invalid byte at offset 17)\n"


@pytest.mark.parametrize("text", ["", "\n\n", "   \n", "# a comment\n# another\n", "---\n", "--- # c\n...\n"], ids=["empty", "newlines", "spaces", "comments", "doc-start", "doc-start-end"])
def test_empty_files(text):
    diagnostics = check_text(text)
    assert [d.rule for d in diagnostics] == ["invalid-value"]
    assert "empty" in diagnostics[0].message
    assert_ranges_inside(Source(text), diagnostics)


def test_empty_file_exit_code(tmp_path):
    (tmp_path / "c.yml").write_bytes(b"")
    result = _cli("check", "c.yml", cwd=tmp_path)
    assert result.returncode == 1
    assert b"the file is empty" in result.stdout


def test_document_end_marker_alone_is_a_syntax_error():
    assert [d.rule for d in check_text("...\n")] == ["yaml-syntax"]  # as for safe_load


def test_scalar_and_list_documents():
    assert [d.rule for d in check_text("just a string\n")] == ["invalid-value"]
    assert [d.rule for d in check_text("- a\n- b\n")] == ["invalid-value"]
    assert [d.rule for d in check_text("null\n")] == ["invalid-value"]


@pytest.mark.parametrize(
    "text",
    [
        "? [a, b]\n: c\n",  # a list as a key
        "{[1]: 2}\n",
        "a: !!python/object:os.system ls\n",  # safe_load refuses unknown tags
        "a: !!binary aGVsbG8=\nmerge_method: 5\n",
        "a: !!set {x, y}\nb: !!omap [{x: 1}]\n",
        "merge_method: linear\nmodels:\n  - model: {model: {path: 1}}\n",
        "merge_method: linear\nmodels:\n  - model: [a, b]\n    parameters: {weight: [1, {filter: x}]}\n",
        "merge_method: slerp\nparameters: {t: [{filter: self_attn, value: [0, .5, 1]}, {value: .nan}]}\nmodels: [{model: a}, {model: b}]\nbase_model: a\n",
        "merge_method: linear\n1: 2\ntrue: false\nnull: x\n2024-01-01: d\n",
        "merge_method: linear\nmodels:\n  - model: a\n    layer_range: [0.5, '3']\n    parameters: {weight: 1}\n",
        "%YAML 1.1\n---\nmerge_method: linear\n",
        "%FOO bar\n--- !tag\na: 1\n",
    ],
)
def test_odd_yaml_gives_diagnostics(text):
    diagnostics = check_text(text)
    assert_ranges_inside(Source(text), diagnostics)
    try:
        list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        assert "yaml-syntax" in [d.rule for d in diagnostics]


def test_internal_error_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """Even a bug in a rule is one line and exit 2, never a traceback (unless MERGELINT_DEBUG is set)."""
    (tmp_path / "c.yml").write_text("merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}]\n")
    code = (
        "import sys; from mergelint.rules import RULES\n"
        "def boom(ctx): raise RuntimeError('boom')\n"
        "RULES[0].check = boom\n"
        "from mergelint.cli import main\n"
        "sys.argv = ['mergelint', 'check', 'c.yml']\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MERGELINT_DEBUG"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=60, env=env)
    assert result.returncode == 2
    assert result.stderr == b"mergelint: c.yml: internal error: RuntimeError: boom (set MERGELINT_DEBUG=1 for details)\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, timeout=60, env={**env, "MERGELINT_DEBUG": "1"})
    assert b"Traceback" in result.stderr
