"""The fix-all resolver: fixes of one key are one decision, nothing applied together conflicts,
and `--fix` applies everything in a few rounds (or says what it left)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from checker_support import MODEL_FACT_RULES, STATIC, check_text
from mergelint import fixing
from mergelint.check_context import CheckContext
from mergelint.cli import main
from mergelint.diagnostics import Diagnostic, Edit, Fix
from mergelint.document import Position, Range, Source
from mergelint.fixing import apply_fixes, resolve


def fix_all(text: str) -> str:
    return apply_fixes(CheckContext(Source(text, "config.yml"), STATIC))[0].text


def chosen_titles(text: str) -> list[str]:
    return [f.title for f in resolve(check_text(text))]


# The user's value is kept: a typo fix wins over a fix that invents a value for the same key.

TYPO_IN_PARAMETERS = """\
merge_method: linear
models:
  - model: org/a
    parameters:
      weigth: 0.5  # half
  - model: org/b
    parameters:
      weight: 0.5
"""


def test_typo_is_renamed_not_joined_by_a_placeholder():
    offered = {f.title for d in check_text(TYPO_IN_PARAMETERS) for f in d.fixes if f.preferred}
    assert offered == {"Add weight: 1.0", "Rename to 'weight'"}  # both are offered, one key
    assert chosen_titles(TYPO_IN_PARAMETERS) == ["Rename to 'weight'"]
    fixed = fix_all(TYPO_IN_PARAMETERS)
    assert fixed == TYPO_IN_PARAMETERS.replace("weigth", "weight")
    assert yaml.safe_load(fixed)["models"][0]["parameters"] == {"weight": 0.5}
    assert check_text(fixed) == []


def test_typo_in_parameters_key_is_renamed_not_joined_by_new_parameters():
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    paramters:\n      weight: 0.5\n"
    assert chosen_titles(text) == ["Rename to 'parameters'"]
    assert fix_all(text) == text.replace("paramters", "parameters")
    assert check_text(fix_all(text)) == []


@pytest.mark.parametrize("text, fixed", [
    ("merge_method: linear\nmodels:\n  - model: org/a\n    weigth: 0.5  # mine\n",
     "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 0.5  # mine\n"),
    ('merge_method: linear\nmodels:\n  - {model: org/a, "weigth": 0.5}\n',
     "merge_method: linear\nmodels:\n  - {model: org/a, parameters: {weight: 0.5}}\n"),
    ("merge_method: ties\nbase_model: org/b\nmodels:\n  - model: org/a\n    densty: 0.5\n    parameters:\n      weight: 0.3\n",
     "merge_method: ties\nbase_model: org/b\nmodels:\n  - model: org/a\n    parameters:\n      weight: 0.3\n      density: 0.5\n"),
])
def test_misspelt_parameter_beside_model_moves_under_parameters_with_its_value(text, fixed):
    assert fix_all(text) == fixed
    assert check_text(fixed) == []


def test_a_key_with_a_verbatim_tag_keeps_it_and_is_located_after_it():
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      !<tag:yaml.org,2002:str> weigth: 0.5\n"
    (typo,) = [d for d in check_text(text) if d.rule == "unknown-parameter"]
    assert typo.range.start.column == text.splitlines()[4].index("weigth")
    fixed = fix_all(text)
    assert fixed == text.replace("weigth", "weight")
    assert yaml.safe_load(fixed)["models"][0]["parameters"] == {"weight": 0.5}


def test_typo_in_a_flow_mapping_is_renamed():
    text = "merge_method: linear\nmodels:\n  - {model: org/a, parameters: {weigth: 0.5}}\n"
    assert fix_all(text) == text.replace("weigth", "weight")


def test_misplaced_weight_is_moved_not_joined_by_a_placeholder():
    text = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      normalize: true\n    weight: 0.5\n"
    assert fix_all(text) == (
        "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      normalize: true\n      weight: 0.5\n"
    )


def test_two_keys_moved_under_a_parameters_that_does_not_exist_yet():
    """Both create `parameters:` (one slot): one is applied, the other after the re-check."""
    text = "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    weight: 1.0\n    density: 0.5\n"
    assert chosen_titles(text) == ["Move under parameters:"]
    assert yaml.safe_load(fix_all(text))["models"][0] == {"model": "org/a", "parameters": {"weight": 1.0, "density": 0.5}}


# The resolver on its own: fixes as the rules make them, decided by what they write and edit.


def _diag(*fixes: Fix, line: int = 0) -> Diagnostic:
    return Diagnostic("ML000", "test", "error", "test", Range.of(line, 0, line, 1), list(fixes))


def _fix(title, start, end, new="x", *, writes=(), placeholder=False, safe=True) -> Fix:
    edit = Edit(Range(Position(*start), Position(*end)), new)
    return Fix(title, (edit,), safe=safe, preferred=True, writes=frozenset(writes), placeholder=placeholder)


SLOT = (Position(3, 6), "weight")


@pytest.mark.parametrize("order", [1, -1], ids=["placeholder-first", "placeholder-last"])
def test_placeholder_yields_whatever_the_order(order):
    add = _fix("add", (4, 10), (4, 10), writes=[SLOT], placeholder=True)
    rename = _fix("rename", (3, 6), (3, 12), writes=[SLOT])
    assert [f.title for f in resolve([_diag(add), _diag(rename)][::order])] == ["rename"]


def test_placeholders_alone_on_one_slot_give_one():
    one = _fix("one", (1, 0), (1, 0), writes=[SLOT], placeholder=True)
    two = _fix("two", (5, 0), (5, 0), writes=[SLOT], placeholder=True)
    assert resolve([_diag(one), _diag(two)]) == [one]


@pytest.mark.parametrize(
    "first,second,together",
    [
        (((0, 0), (0, 5)), ((0, 3), (0, 8)), False),  # overlapping replacements
        (((0, 0), (0, 5)), ((0, 5), (0, 9)), True),  # adjacent replacements
        (((0, 5), (0, 5)), ((0, 5), (0, 5)), False),  # two insertions at one point: order unknown
        (((0, 0), (0, 5)), ((0, 5), (0, 5)), False),  # an insertion where a replacement ends
        (((0, 2), (0, 2)), ((0, 0), (0, 5)), False),  # an insertion inside a replacement
        (((0, 0), (2, 0)), ((1, 4), (1, 4)), False),  # deleted lines, an insertion in them
        (((0, 0), (1, 0)), ((1, 0), (2, 0)), True),  # two deleted lines, one after the other
        (((3, 1), (3, 1)), ((0, 0), (0, 5)), True),
    ],
)
def test_overlapping_edits_are_never_applied_together(first, second, together):
    a, b = _fix("a", *first), _fix("b", *second)
    assert resolve([_diag(a), _diag(b)]) == ([a, b] if together else [a])


def test_a_fix_with_several_edits_is_applied_whole_or_not_at_all():
    move = Fix("move", (Edit(Range.of(9, 0, 9, 0), "a"), Edit(Range.of(2, 0, 3, 0), "")), preferred=True)
    other = _fix("other", (2, 4), (2, 6))
    later = _fix("later", (5, 0), (5, 2))
    assert resolve([_diag(move), _diag(other), _diag(later)]) == [move, later]


def test_the_same_fix_offered_twice_is_applied_once():
    fix = _fix("same", (1, 0), (1, 3))
    assert resolve([_diag(fix), _diag(fix, line=4)]) == [fix]


def test_unsafe_fixes_only_when_asked():
    unsafe = _fix("unsafe", (1, 0), (1, 3), safe=False)
    safe = _fix("safe", (2, 0), (2, 3))
    assert resolve([_diag(unsafe), _diag(safe)]) == [safe]
    assert resolve([_diag(unsafe), _diag(safe)], unsafe=True) == [unsafe, safe]


def test_many_fixes_are_resolved_quickly():
    fixes = [_fix(f"f{i}", (i, 0), (i, 3)) for i in range(20_000)]
    assert resolve([_diag(f) for f in fixes[::-1]]) == fixes[::-1]


# --fix applies all of them in a few rounds, and a second run changes nothing.


def _many_fixes(n: int) -> str:
    lines = ["merge_method: linear", "models:"]
    for i in range(n):
        lines.append(f"  - model: org/m{i}  # {i}")
        if i % 3 == 1:
            lines += ["    parameters:", "      weigth: 0.5"]  # renamed, keeping 0.5
        elif i % 3 == 2:
            lines += ["    weight: 0.25"]  # moved under a new parameters:
    return "\n".join(lines) + "\n"


def test_500_fixes_in_one_run_with_few_checks(monkeypatch):
    calls = []
    check = fixing.check
    monkeypatch.setattr(fixing, "check", lambda *a, **k: calls.append(1) or check(*a, **k))
    source = Source(_many_fixes(500), "many.yml")
    fixed, diagnostics, applied = apply_fixes(CheckContext(source, STATIC))
    assert applied == 500
    assert len(calls) == 2  # one round applies them all, one re-check finds nothing left
    assert check_text(fixed.text) == diagnostics == []
    models = yaml.safe_load(fixed.text)["models"]
    assert [m["parameters"]["weight"] for m in models[:6]] == [1.0, 0.5, 0.25, 1.0, 0.5, 0.25]
    calls.clear()
    again, _, more = apply_fixes(CheckContext(fixed, STATIC))
    assert (more, again.text, len(calls)) == (0, fixed.text, 1)


def _cli(*args, cwd):
    ignore = ["--ignore", ",".join(MODEL_FACT_RULES)]
    return subprocess.run([sys.executable, "-m", "mergelint", "check", *ignore, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_fix_command_on_500_fixes_then_again(tmp_path):
    path = tmp_path / "many.yml"
    path.write_text(_many_fixes(500))
    first = _cli("--fix", "many.yml", cwd=tmp_path)
    assert (first.returncode, first.stderr, first.stdout) == (0, "many.yml: applied 500 fixes\n", "")
    fixed = path.read_text()
    second = _cli("--fix", "many.yml", cwd=tmp_path)
    assert (second.returncode, second.stderr, second.stdout) == (0, "", "")
    assert path.read_text() == fixed


def test_fixes_left_when_the_rounds_run_out_are_counted(tmp_path, monkeypatch):
    """Two keys moved under a parameters: that does not exist yet take two rounds."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fixing, "MAX_ROUNDS", 1)
    text = "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    weight: 1.0\n    density: 0.5\n"
    (tmp_path / "c.yml").write_text(text)
    result = CliRunner().invoke(main, ["check", "--ignore", ",".join(MODEL_FACT_RULES), "--fix", "c.yml"])
    assert result.stderr == (
        "c.yml: applied 1 fix\nc.yml: 1 fix not applied: it would undo another fix, or need more than 1 rounds of "
        "fixes (run --fix again; `mergelint check` lists them)\n"
    )
    assert "density" in result.stdout  # and the diagnostic it would fix is reported
