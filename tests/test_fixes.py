"""Fixes: every fix in the golden fixtures applied and re-checked, and the headline fixes spelled out."""

from __future__ import annotations

import difflib
import re
from collections import Counter

import pytest
import yaml

from checker_support import STATIC, assert_ranges_inside, check_text, fixture_files, load_fixture
from mergelint.check_context import CheckContext
from mergelint.checker import check_source
from mergelint.diagnostics import Diagnostic, Fix
from mergelint.document import Source
from mergelint.fixing import apply_edits, apply_fixes

_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def _fix_cases():
    for path in fixture_files():
        source = load_fixture(path)
        diagnostics = check_source(source, STATIC)
        if any(d.rule == "yaml-syntax" for d in diagnostics):
            continue
        for n, d in enumerate(diagnostics):
            for fix in d.fixes:
                yield pytest.param(path, n, fix.title, id=f"{path.stem}:{d.range.start.line + 1}:{fix.title}")


FIX_CASES = list(_fix_cases())


def _touched_lines(fix: Fix) -> set[int]:
    lines: set[int] = set()
    for e in fix.edits:
        last = e.range.end.line
        if e.range.end.column == 0 and last > e.range.start.line:
            last -= 1  # a deletion of whole lines ends at the start of the next one
        lines.update(range(e.range.start.line, last + 1))
    return lines


def _comments(text: str) -> Counter:
    return Counter(m.group(1).strip() for line in text.split("\n") if (m := _COMMENT.search(line)))


def _key(d: Diagnostic) -> tuple:
    return (d.code, d.message)


def assert_fix_is_clean(source: Source, diag: Diagnostic, fix: Fix) -> str:
    """Apply one fix and check the result; returns the new text."""
    before = check_source(source, STATIC)
    text = apply_edits(source, fix.edits)
    assert text != source.text, f"{fix.title!r} changes nothing"
    # The text still parses, exactly as mergekit reads it (mergekit-multi: every document).
    list(yaml.safe_load_all(text))
    after = check_source(Source(text, source.path), STATIC)
    assert not [d for d in after if d.rule == "yaml-syntax"]
    # That diagnostic is gone, and the fix adds no error.
    assert Counter(map(_key, after))[_key(diag)] < Counter(map(_key, before))[_key(diag)], f"{fix.title!r} left: {diag.message}"
    assert sum(d.severity == "error" for d in after) <= sum(d.severity == "error" for d in before)
    # Lines the fix does not touch are unchanged, in order: formatting and comments elsewhere stay.
    old, new = source.text.split("\n"), text.split("\n")
    touched = _touched_lines(fix)
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            changed = set(range(i1, i2))
            assert changed <= touched, f"{fix.title!r} changed lines {sorted(changed - touched)} it does not edit"
    # No comment is lost, not even on a line the fix moves.
    assert not _comments(source.text) - _comments(text), f"{fix.title!r} dropped a comment"
    return text


@pytest.mark.parametrize("path,index,title", FIX_CASES)
def test_each_fixture_fix_applies_cleanly(path, index, title):
    source = load_fixture(path)
    diag = check_source(source, STATIC)[index]
    (fix,) = [f for f in diag.fixes if f.title == title]
    assert_ranges_inside(source, [diag])
    assert_fix_is_clean(source, diag, fix)


def test_there_are_fixes_to_test():
    titles = {title for *_, title in (c.values for c in FIX_CASES)}
    assert {"Add weight: 1.0", "Switch to passthrough", "Move under parameters:", "Change to dare_ties"} <= titles


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_fix_all_converges(path):
    """`--fix` on every fixture: terminates, parses, and leaves no preferred safe fix behind."""
    source = load_fixture(path)
    fixed, diagnostics, applied = apply_fixes(CheckContext(source, STATIC))
    assert fixed.text == source.text or applied > 0
    assert not [d for d in diagnostics if d.preferred_fix is not None]
    assert check_source(fixed, STATIC) == diagnostics
    if not any(d.rule == "yaml-syntax" for d in check_source(source, STATIC)):
        list(yaml.safe_load_all(fixed.text))  # (a mergekit-multi stream: every document)
        assert not _comments(source.text) - _comments(fixed.text)


# The headline cases, with the exact text `--fix` produces.


def fix_all(text: str) -> str:
    fixed, _, _ = apply_fixes(CheckContext(Source(text, "config.yml"), STATIC))
    return fixed.text


def fixes_of(text: str, rule: str) -> list[list[str]]:
    return [[f.title for f in d.fixes] for d in check_text(text) if d.rule == rule]


LINEAR_WITHOUT_WEIGHTS = """\
merge_method: linear
models:
  - model: org/a  # the main one
  - model: org/b
    parameters:
      normalize: true
  - {model: org/c}
  - model: org/d
    parameters:  # nothing yet
  - model: org/e
    parameters: {normalize: false}   # flow, with a comment
dtype: bfloat16  # keep
"""


def test_linear_without_weights_gets_a_weight_per_model():
    assert fixes_of(LINEAR_WITHOUT_WEIGHTS, "missing-required-parameter") == [["Add weight: 1.0"]] * 5
    assert fix_all(LINEAR_WITHOUT_WEIGHTS) == """\
merge_method: linear
models:
  - model: org/a  # the main one
    parameters:
      weight: 1.0
  - model: org/b
    parameters:
      normalize: true
      weight: 1.0
  - {model: org/c, parameters: {weight: 1.0}}
  - model: org/d
    parameters:  # nothing yet
      weight: 1.0
  - model: org/e
    parameters: {normalize: false, weight: 1.0}   # flow, with a comment
dtype: bfloat16  # keep
"""
    assert [d.rule for d in check_text(fix_all(LINEAR_WITHOUT_WEIGHTS))] == ["unknown-parameter", "unknown-parameter"]


def test_add_weight_in_slices_and_after_trailing_comments():
    text = """\
merge_method: linear
slices:
  - sources:
      - model: org/a
        layer_range: [0, 8]   # first half
        # org/a is the stronger model

      - model: org/b
        layer_range: [0, 8]
"""
    assert fix_all(text) == """\
merge_method: linear
slices:
  - sources:
      - model: org/a
        layer_range: [0, 8]   # first half
        parameters:
          weight: 1.0
        # org/a is the stronger model

      - model: org/b
        layer_range: [0, 8]
        parameters:
          weight: 1.0
"""


def test_lone_lora_linear_offers_passthrough():
    text = "merge_method: linear\nmodels:\n  - model: org/base+org/lora  # bake the adapter\ndtype: bfloat16\n"
    (diag,) = [d for d in check_text(text) if d.rule == "missing-required-parameter"]
    assert diag.message == "linear requires 'weight' for model 'org/base+org/lora'"
    assert [f.title for f in diag.fixes] == ["Add weight: 1.0", "Switch to passthrough"]
    passthrough = diag.fixes[1]
    assert not passthrough.preferred  # --fix adds the weight; switching is the user's choice
    switched = assert_fix_is_clean(Source(text, "c.yml"), diag, passthrough)
    assert switched == text.replace("linear", "passthrough")
    assert check_text(switched) == []
    assert fix_all(text) == (
        "merge_method: linear\nmodels:\n  - model: org/base+org/lora  # bake the adapter\n"
        "    parameters:\n      weight: 1.0\ndtype: bfloat16\n"
    )


def test_passthrough_is_not_offered_for_two_models():
    text = "merge_method: linear\nmodels:\n  - model: org/a\n  - model: org/b\n"
    assert fixes_of(text, "missing-required-parameter") == [["Add weight: 1.0"]] * 2


def test_move_weight_under_new_parameters():
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    weight: 0.5  # half\n  - model: org/b\n    parameters:\n      weight: 0.5\n"
    assert fixes_of(text, "unknown-key") == [["Move under parameters:"]]
    # The error on the model says why, and leaves the fixing to the move.
    assert fixes_of(text, "missing-required-parameter") == [[]]
    assert fix_all(text) == (
        "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 0.5  # half\n"
        "  - model: org/b\n    parameters:\n      weight: 0.5\n"
    )
    assert check_text(fix_all(text)) == []


def test_move_density_into_existing_parameters():
    text = """\
merge_method: ties
base_model: org/base
models:
  - model: org/a
    density: 0.5  # keep half
    parameters:
      weight: 1.0
"""
    assert fix_all(text) == """\
merge_method: ties
base_model: org/base
models:
  - model: org/a
    parameters:
      weight: 1.0
      density: 0.5  # keep half
"""


def test_move_into_flow_parameters_keeps_the_comment_in_place():
    text = "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    density: 0.5  # keep half\n    parameters: {weight: 1.0}\n"
    assert fix_all(text) == (
        "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    # keep half\n"
        "    parameters: {weight: 1.0, density: 0.5}\n"
    )


def test_move_two_misplaced_keys_of_one_entry():
    text = "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    weight: 1.0\n    density: 0.5\n"
    assert fixes_of(text, "unknown-key") == [["Move under parameters:"]] * 2
    fixed = fix_all(text)
    assert fixed == (
        "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    parameters:\n"
        "      weight: 1.0\n      density: 0.5\n"
    )
    assert check_text(fixed) == []


def test_move_misplaced_keys_of_a_flow_entry():
    text = "merge_method: ties\nbase_model: org/base\nmodels:\n  - {model: org/a, weight: 1.0, density: 0.5}\n"
    fixed = fix_all(text)
    assert fixed == "merge_method: ties\nbase_model: org/base\nmodels:\n  - {model: org/a, parameters: {weight: 1.0, density: 0.5}}\n"
    assert yaml.safe_load(fixed)["models"][0] == {"model": "org/a", "parameters": {"weight": 1.0, "density": 0.5}}


def test_move_top_level_t_under_parameters():
    text = "merge_method: slerp\nbase_model: org/a\nt: 0.5\nmodels:\n  - model: org/a\n  - model: org/b\n"
    fixed = fix_all(text)
    assert yaml.safe_load(fixed)["parameters"] == {"t": 0.5}
    assert check_text(fixed) == []


def test_move_is_not_offered_for_a_key_merged_from_an_anchor():
    text = """\
merge_method: ties
base_model: org/base
models:
  - &entry
    model: org/a
    density: 0.5
    parameters: {weight: 1.0}
  - <<: *entry
    model: org/b
"""
    found = [d for d in check_text(text) if d.rule == "unknown-key"]
    # Both entries carry the misplaced density; only the entry that holds it offers to move it
    # (moving it for org/b would rewrite the anchor behind the user's back).
    assert [(d.range.start.line, [f.title for f in d.fixes]) for d in found] == [(5, ["Move under parameters:"]), (5, [])]
    fixed = fix_all(text)
    assert fixed == text.replace("    density: 0.5\n    parameters: {weight: 1.0}\n", "    parameters: {weight: 1.0, density: 0.5}\n")
    assert check_text(fixed) == []  # and org/b, which merges the anchor, is fixed with it


@pytest.mark.parametrize(
    "text,rule,old,new",
    [
        ("merge_method: dare-ties\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 1, density: 0.5}\n",
         "unknown-merge-method", "dare-ties", "dare_ties"),
        ("merge_method: 'task-arithmetic'\nbase_model: b\nmodels:\n  - model: a\n    parameters: {weight: 1}\n",
         "unknown-merge-method", "task-arithmetic", "task_arithmetic"),
        ("merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\ndtype: bf16\n", "dtype-value", "bf16", "bfloat16"),
        ('merge_method: linear\nmodels:\n  - model: a\n    parameters: {weight: 1}\ndtype: "bfloat"\n', "dtype-value", "bfloat", "bfloat16"),
        ("merge_method: ties\nbase_model: b\nparameters:\n  nomalize: true\nmodels:\n  - model: a\n    parameters: {weight: 1}\n",
         "unknown-parameter", "nomalize", "normalize"),
    ],
    ids=["dare-ties", "task-arithmetic-quoted", "bf16", "bfloat-quoted", "nomalize"],
)
def test_did_you_mean(text, rule, old, new):
    (diag,) = [d for d in check_text(text) if d.rule == rule]
    assert f"did you mean {new}" in diag.message.replace("'", "")
    (fix,) = diag.fixes
    assert fix.title in (f"Change to {new}", f"Rename to '{new}'") and fix.preferred and fix.safe
    fixed = assert_fix_is_clean(Source(text, "c.yml"), diag, fix)
    assert fixed == text.replace(old, new, 1)  # quotes kept, nothing else touched
    assert check_text(fixed) == []


def test_crlf_file_stays_crlf():
    text = "merge_method: linear\r\nmodels:\r\n  - model: org/a  # x\r\n  - {model: org/b}\r\n"
    fixed = fix_all(text)
    assert fixed == (
        "merge_method: linear\r\nmodels:\r\n  - model: org/a  # x\r\n    parameters:\r\n      weight: 1.0\r\n"
        "  - {model: org/b, parameters: {weight: 1.0}}\r\n"
    )
    assert "\n" not in fixed.replace("\r\n", "")


def test_misplaced_shared_parameter_is_moved_not_added_twice():
    text = "merge_method: slerp\nbase_model: org/a\nt: 0.5\nmodels:\n  - model: org/a\n  - model: org/b\n"
    (missing,) = [d for d in check_text(text) if d.rule == "missing-required-parameter"]
    assert "'t' written outside parameters: is ignored" in missing.message
    assert missing.fixes == []  # the move fix of unknown-key is the one to apply
    assert fix_all(text) == "merge_method: slerp\nbase_model: org/a\nparameters:\n  t: 0.5\nmodels:\n  - model: org/a\n  - model: org/b\n"


def test_shared_parameter_added_to_the_module_that_lacks_it():
    text = """\
merge_method: slerp
base_model: org/a
modules:
  text:
    parameters:
      t: 0.5
    models:
      - model: org/a
      - model: org/b
  vision:
    models:
      - model: org/a
      - model: org/b
"""
    (diag,) = check_text(text)
    assert diag.message.endswith("(not set for modules.vision.models)")
    assert (diag.range.start.line, diag.range.start.column) == (10, 4)  # the `models` key of vision
    assert fix_all(text) == text + "    parameters:\n      t: 0.5\n"
    assert check_text(fix_all(text)) == []


def test_shared_parameter_added_to_the_slice_that_lacks_it():
    text = """\
merge_method: slerp
base_model: org/a
slices:
  - sources:
      - {model: org/a, layer_range: [0, 4]}
      - {model: org/b, layer_range: [0, 4]}
    parameters:
      t: 0.3
  - sources:
      - {model: org/a, layer_range: [4, 8]}
      - {model: org/b, layer_range: [4, 8]}
"""
    (diag,) = check_text(text)
    assert diag.message.endswith("(not set for slices[1])")
    assert fix_all(text) == text + "    parameters:\n      t: 0.5\n"


def test_add_weight_to_explicit_null_parameters():
    text = (
        "merge_method: linear\nmodels:\n  - model: org/a\n    parameters: null\n  - {model: org/b, parameters: ~}\n"
        "  - model: org/c\n    parameters: [weight, 1]\n"
    )
    assert fixes_of(text, "missing-required-parameter") == [["Add weight: 1.0"], ["Add weight: 1.0"], []]
    assert fix_all(text) == (
        "merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1.0}\n"
        "  - {model: org/b, parameters: {weight: 1.0}}\n  - model: org/c\n    parameters: [weight, 1]\n"
    )


def test_add_to_parameters_that_merge_an_anchor():
    """Pairs merged in with `<<` stand elsewhere: the new key takes the mapping's own indentation."""
    text = "x-defaults: &d\n        normalize: true\nmerge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      <<: *d\n"
    fixed = fix_all(text)
    assert fixed == text + "      weight: 1.0\n"
    assert yaml.safe_load(fixed)["models"][0]["parameters"] == {"normalize": True, "weight": 1.0}


def test_add_to_parameters_with_explicit_keys():
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      ? normalize\n      : true\n"
    fixed = fix_all(text)
    assert yaml.safe_load(fixed)["models"][0]["parameters"] == {"normalize": True, "weight": 1.0}


def test_added_base_model_is_quoted_when_it_must_be():
    text = 'merge_method: ties\nmodels:\n  - model: "models: v2 #1"\n    parameters: {weight: 1, density: 0.5}\n'
    (diag,) = [d for d in check_text(text) if d.rule == "base-model-required"]
    (fix,) = diag.fixes
    assert not fix.safe and not fix.preferred  # which model is the base is the user's call
    fixed = apply_edits(Source(text), fix.edits)
    assert yaml.safe_load(fixed)["base_model"] == "models: v2 #1"


@pytest.mark.parametrize("properties", ["!!str ", "&name "], ids=["tag", "anchor"])
def test_add_after_a_first_key_with_a_tag_or_anchor(properties):
    """The key's range starts after its `!tag` or `&anchor`; the new key lines up with the entry."""
    text = f"merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      {properties}normalize: true\n"
    fixed = fix_all(text)
    assert fixed == text + "      weight: 1.0\n"
    assert yaml.safe_load(fixed)["models"][0]["parameters"] == {"normalize": True, "weight": 1.0}
