"""Mutated real configs (byte, token and YAML-structure mutations of the corpus, the examples
and the rule fixtures) keep every property of tests/fuzz_properties.py: no internal error,
--fix keeps valid YAML valid, changes only its fixes' advertised edits and is idempotent, the
language server's analysis never raises, and the CLI keeps its exit-code contract.

Reproducible and bounded: derandomized, no example database, a fixed number of examples
(MERGELINT_FUZZ_EXAMPLES raises it). scripts/fuzz is the long run of the same properties.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from checker_support import ROOT, check_text
from fuzz_properties import ENCODINGS, check_cli, check_input
from mergelint.check_context import CheckContext
from mergelint.document import Source
from mergelint.fixing import apply_fixes
from mutations import LEVELS, MUTATIONS, mutate, seeds

SEEDS = seeds()
EXAMPLES = int(os.environ.get("MERGELINT_FUZZ_EXAMPLES", "150"))
BOUNDED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("level", LEVELS)
@BOUNDED
@given(
    seed=st.sampled_from(SEEDS),
    rng=st.randoms(use_true_random=False),
    count=st.integers(1, 4),
    encoding=st.sampled_from(ENCODINGS),
)
def test_mutated_configs_keep_every_property(level, seed, rng, count, encoding):
    data, kinds = mutate(rng, seed, count, list(LEVELS[level]))
    note(f"{kinds}: {data!r}")
    check_input(data, encoding)


@pytest.mark.parametrize("kind", MUTATIONS)
def test_each_mutation_changes_real_configs(kind):
    rng = random.Random(0)
    changed = sum(MUTATIONS[kind](rng, seed) != seed for seed in SEEDS[:30])
    assert changed >= 15, f"{kind} changed only {changed} of 30 configs"


def test_cli_exit_codes_on_mutated_configs(tmp_path):
    """A real subprocess over a bounded sample: 0, 1 or 2 as computed in-process, no traceback."""
    rng = random.Random(7)
    inputs = [mutate(rng, rng.choice(SEEDS), rng.randint(1, 3))[0] for _ in range(24)]
    check_cli(inputs, tmp_path)


def test_long_fuzz_script_prints_its_figures():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "fuzz"), "--inputs", "40", "--seed", "3", "--cli-every", "20"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("seed 3: 40 inputs in ") and "2 CLI batches of 20" in lines[0]
    assert lines[1].startswith("outcomes: ")
    assert lines[2].startswith("mutations by kind: flip-byte ")
    assert lines[3] == "crashes: 0 (0 distinct)"


@pytest.mark.slow
def test_a_minute_of_fuzzing_finds_nothing():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz"), "--seconds", "60", "--seed", "11"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr


# What the fuzz found, each kept as a plain case.


@pytest.mark.parametrize(
    "text,message",
    [
        ("--- !!map\n- merge_method: linear\n", "expected a mapping node, but found sequence"),
        ("merge_method: linear\nmodels: !!seq {model: a}\n", "expected a sequence node, but found mapping"),
    ],
    ids=["map-tag-on-a-list", "seq-tag-on-a-mapping"],
)
def test_collection_tag_on_the_other_kind_is_a_syntax_error(text, message):
    """safe_load refuses these, so mergekit does: found as a config with no error at all."""
    assert [(d.rule, d.message) for d in check_text(text)][:1] == [("yaml-syntax", message)]


@pytest.mark.parametrize(
    "text,fixed",
    [
        ("merge_method: &m linea\nmodels:\n  - model: a\n    parameters: {weight: 1}\nx: *m\n",
         "merge_method: &m linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\nx: *m\n"),
        ("merge_method: !!str &m 'linea'\nmodels: [{model: a, parameters: {weight: 1}}]\nx: *m\n",
         "merge_method: !!str &m 'linear'\nmodels: [{model: a, parameters: {weight: 1}}]\nx: *m\n"),
        ("merge_method: &m # the method\n  linea\nmodels: [{model: a, parameters: {weight: 1}}]\nx: *m\n",
         "merge_method: &m # the method\n  linear\nmodels: [{model: a, parameters: {weight: 1}}]\nx: *m\n"),
    ],
    ids=["anchor", "tag-and-anchor", "anchor-and-comment"],
)
def test_fix_of_an_anchored_scalar_keeps_the_anchor(text, fixed):
    """The fix replaced `&m linea` whole, leaving `*m` an undefined alias: a YAML error made by --fix."""
    (d,) = [d for d in check_text(text) if d.rule == "unknown-merge-method"]
    assert text.split("\n")[d.range.start.line][d.range.start.column :].lstrip("'").startswith("linea")
    assert apply_fixes(CheckContext(Source(text)))[0].text == fixed


def test_moving_the_last_line_of_a_file_without_final_newline():
    """The deletion ended on the line after the last one, a range outside the text."""
    text = "merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\nparameters:\nnormalize: true"
    (d,) = check_text(text)
    assert d.rule == "unknown-key"
    lines = text.split("\n")
    for edit in d.fixes[0].edits:
        assert edit.range.end.line < len(lines) and edit.range.end.column <= len(lines[edit.range.end.line])
    assert apply_fixes(CheckContext(Source(text)))[0].text == text.replace("\nnormalize: true", "\n  normalize: true\n")


def test_a_misspelt_parameter_whose_key_holds_a_colon_moves_with_its_value():
    """`density:: 0.5` is the key `density:`: its value was cut at the key's own colon (`density: : 0.5`)."""
    text = "merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    weight: 1.0\n    density:: 0.5\n"
    assert apply_fixes(CheckContext(Source(text)))[0].text == (
        "merge_method: ties\nbase_model: b\nmodels:\n  - model: a\n    parameters:\n      weight: 1.0\n      density: 0.5\n")


def test_a_flow_key_without_a_value_is_not_moved():
    """`{model: a, density 0.5}` holds the key `density 0.5` and no value: there is nothing to move (it raised)."""
    text = "merge_method: ties\nbase_model: b\nmodels:\n  - {model: a, parameters: {weight: 1.0}, density 0.5}\n"
    (d,) = [d for d in check_text(text) if d.rule == "unknown-key"]
    assert "did you mean the parameter 'density'" in d.message and d.fixes == []
    assert apply_fixes(CheckContext(Source(text)))[0].text == text
