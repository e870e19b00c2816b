"""Golden fixtures: one bad config per rule (and more cases), checked against a JSON snapshot.

tests/fixtures/rules/<rule-name>.yml (or <rule-name>--<case>.yml) is a config that must
trigger <rule-name>; <same>.json is what `mergelint check --format json --select <rule-name>`
prints for it, run from the repository root: each fixture shows its own rule's findings alone
(another rule's findings in it belong to that rule's fixtures). Regenerate every snapshot with

    MERGELINT_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_rule_fixtures.py

and review the diff by eye: messages, ranges (key or value?) and fixes.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from checker_support import (
    MODEL_FACT_RULES, ROOT, RULE_FIXTURES, check_text, fixture_files, load_fixture, rules_of, to_json,
)
from merge_core.inspect import Inspector
from merge_core.tools import Tool
from mergelint.checker import check_source
from mergelint.cli import main
from mergelint.config_view import ConfigView
from mergelint.document import Source, parse
from mergelint.model_facts import Facts
from mergelint.evolve_view import EvolveView
from mergelint.moe_view import MoeView
from mergelint.rule import Context, Needs
from mergelint.rules import RULES, lookup
from mergelint.settings import Settings
from merge_core.tools import Tool
from mergelint.suppressions import UNUSED

UPDATE = os.environ.get("MERGELINT_UPDATE_SNAPSHOTS") == "1"
FIXTURES = fixture_files()


def _rule_of(path) -> str:
    return path.stem.split("--")[0]


def _snapshot(path):
    return path.with_suffix(".json")


def _actual(path) -> list[dict]:
    source = load_fixture(path)
    return to_json(source, check_source(source, Settings(select=(_rule_of(path),)), base_dir=str(ROOT)))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_matches_snapshot(path):
    actual = _actual(path)
    snapshot = _snapshot(path)
    if UPDATE:
        snapshot.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert snapshot.exists(), f"no snapshot for {path.name}: run with MERGELINT_UPDATE_SNAPSHOTS=1 and review it"
    assert actual == json.loads(snapshot.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_triggers_its_rule(path):
    name = _rule_of(path)
    known = {r.name for r in RULES} | {UNUSED.name}
    assert name in known, f"{path.name} is named after no rule"
    assert name in {d["rule"] for d in _actual(path)}, f"{path.name} does not trigger {name}"


def test_every_rule_has_a_fixture():
    # The rules that need model facts judge the models' own files (config.json, safetensors
    # headers): their fixtures need real checkpoints made on the fly, which their own tests build
    # (model-not-found has fixtures here too: models that are nowhere).
    every = [r for r in (*RULES, UNUSED) if r.needs is not Needs.MODEL_FACTS or r.name == "model-not-found"]
    names = {_rule_of(p) for p in FIXTURES}
    missing = [f"{r.code} {r.name}" for r in every if r.name not in names]
    assert not missing, f"rules without a golden fixture in {RULE_FIXTURES}: {missing}"
    triggered = {d["rule"] for p in FIXTURES for d in _actual(p)}
    assert not [r.name for r in every if r.name not in triggered]


def test_the_checker_runs_a_rule_only_where_what_it_needs_is_there():
    source = Source("merge_method: linear\n")
    (document,) = parse(source)
    yaml_rules = [r for r in RULES if Tool.YAML in r.tools]
    without_facts = Context(source, document, ConfigView(document.root))
    assert [r.name for r in yaml_rules if not r.applies(without_facts)] == [
        r.name for r in yaml_rules if r.needs is Needs.MODEL_FACTS]
    not_a_config = Context(source, document, None, facts=Facts(Inspector(str(ROOT))))
    assert [r.name for r in RULES if r.applies(not_a_config)] == [r.name for r in yaml_rules if r.needs is Needs.DOCUMENT]
    assert {r.name for r in RULES if r.needs is Needs.DOCUMENT} == {"yaml-syntax", "wrong-tool", "invalid-value", "duplicate-key"}
    # A top-level list is no config: no rule that reads one runs (they would fail on it).
    assert rules_of(check_text("- merge_method: linear\n")) == ["invalid-value"]


def test_a_moe_document_gets_the_moe_rules_and_those_shared_by_every_tool():
    source = Source("base_model: a\nexperts: []\n")
    (document,) = parse(source)
    moe = Context(source, document, None, tool=Tool.MOE, moe=MoeView(document.root))
    applied = {r.name for r in RULES if r.applies(moe)}
    assert {r.name for r in RULES if r.tools == (Tool.MOE,) and r.needs is not Needs.MODEL_FACTS} <= applied
    assert {"duplicate-key", "unknown-key", "invalid-value", "dtype-value", "invalid-model-reference"} <= applied
    assert "unknown-merge-method" not in applied and "model-not-found" not in applied  # (no facts here)


def test_an_evolve_document_gets_the_evolve_rules_and_the_schema_ones():
    source = Source("genome: {}\ntasks: []\n")
    (document,) = parse(source)
    evolve = Context(source, document, None, tool=Tool.EVOLVE, evolve=EvolveView(document.root))
    applied = {r.name for r in RULES if r.applies(evolve)}
    assert {r.name for r in RULES if r.tools == (Tool.EVOLVE,) and r.needs is not Needs.MODEL_FACTS} <= applied
    assert {"duplicate-key", "unknown-key", "invalid-value", "wrong-tool", "yaml-syntax", "invalid-model-reference"} <= applied
    assert "unknown-merge-method" not in applied and "layer-granularity" not in applied  # (no facts here)


def test_no_orphan_snapshots():
    orphans = [p.name for p in RULE_FIXTURES.glob("*.json") if not p.with_suffix(".yml").exists()]
    assert not orphans


def test_snapshot_fields_are_the_json_contract():
    """Each snapshot entry has the JSON format's fields (docs/architecture.md), with consistent types and codes."""
    for path in FIXTURES:
        for d in json.loads(_snapshot(path).read_text(encoding="utf-8")):
            assert list(d) == ["path", "rule", "code", "severity", "message", "line", "column", "end_line", "end_column", "fixes"]
            assert d["path"] == path.relative_to(ROOT).as_posix()
            rule = lookup(d["code"]) or UNUSED
            assert (rule.code, rule.name) == (d["code"], d["rule"])
            assert d["severity"] in ("error", "warning", "info")
            assert (d["line"], d["column"]) <= (d["end_line"], d["end_column"])
            for fix in d["fixes"]:
                assert list(fix) == ["title", "applicability", "preferred", "edits"]
                assert fix["applicability"] in ("safe", "unsafe") and isinstance(fix["preferred"], bool)
                for edit in fix["edits"]:
                    assert list(edit) == ["line", "column", "end_line", "end_column", "new_text"]


def test_cli_json_output_is_the_snapshots(monkeypatch):
    """The snapshots are what the CLI itself prints, run from the repository root."""
    monkeypatch.chdir(ROOT)
    for rule in sorted({_rule_of(p) for p in FIXTURES}):
        fixtures = [p for p in FIXTURES if _rule_of(p) == rule]
        paths = [p.relative_to(ROOT).as_posix() for p in fixtures]
        result = CliRunner().invoke(main, ["check", "--format", "json", "--select", rule, *paths])
        assert result.exit_code == (1 if any(d["severity"] == "error" for p in fixtures for d in _actual(p)) else 0), result.output
        expected = [d for p in fixtures for d in json.loads(_snapshot(p).read_text(encoding="utf-8"))]
        assert json.loads(result.stdout) == expected


# What a few snapshots say, spelled out, so a regenerated snapshot cannot quietly lose them.


def _one(path_name: str, rule: str) -> list[dict]:
    found = [d for d in _actual(RULE_FIXTURES / path_name) if d["rule"] == rule]
    assert found, f"{path_name}: no {rule}"
    return found


def _text_at(path_name: str, d: dict) -> str:
    lines = (RULE_FIXTURES / path_name).read_text(encoding="utf-8").split("\n")
    assert d["line"] == d["end_line"]
    return lines[d["line"] - 1][d["column"] - 1 : d["end_column"] - 1]


def test_unknown_key_points_at_the_key():
    (d,) = [d for d in _one("unknown-key.yml", "unknown-key") if "weight" in d["message"]]
    assert _text_at("unknown-key.yml", d) == "weight"
    (typo,) = [d for d in _one("unknown-key.yml", "unknown-key") if "dtpye" in d["message"]]
    assert _text_at("unknown-key.yml", typo) == "dtpye"
    assert "did you mean 'dtype'" in typo["message"]


def test_type_errors_point_at_the_value():
    (d,) = _one("invalid-value.yml", "invalid-value")
    assert _text_at("invalid-value.yml", d) == "heavy"
    (d,) = _one("dtype-value.yml", "dtype-value")[:1]
    assert _text_at("dtype-value.yml", d) == "bf16"


def test_missing_weight_names_method_and_model_on_the_model_value():
    found = _one("missing-required-parameter.yml", "missing-required-parameter")
    assert [d["message"] for d in found] == [
        f"linear requires 'weight' for model '{m}'" for m in ("org/a", "org/b", "org/c")
    ]
    assert [_text_at("missing-required-parameter.yml", d) for d in found] == ["org/a", "org/b", "org/c"]
    assert all([f["title"] for f in d["fixes"]] == ["Add weight: 1.0"] for d in found)


def test_missing_key_is_reported_on_a_key_not_the_whole_file():
    (d,) = _one("invalid-value--missing-merge-method.yml", "invalid-value")
    assert "merge_method" in d["message"]
    assert _text_at("invalid-value--missing-merge-method.yml", d) == "base_model"
    (d,) = _one("invalid-value--models-and-slices.yml", "invalid-value")
    assert _text_at("invalid-value--models-and-slices.yml", d) == "slices"


def test_reference_errors_point_inside_the_reference():
    found = _one("invalid-model-reference.yml", "invalid-model-reference")
    assert [_text_at("invalid-model-reference.yml", d) for d in found] == ["+org/lora-b", "@v2", "+"]
    assert found[2]["message"] == "empty LoRA path"


def test_empty_file_is_an_error():
    (d,) = _one("invalid-value--empty.yml", "invalid-value")
    assert d["severity"] == "error" and "empty" in d["message"]
    # A file of only comments is empty too.
    assert [x.rule for x in check_text("# nothing here yet\n# merge_method: linear\n")] == ["invalid-value"]


def test_a_mapping_as_a_parameter_value_is_one_diagnostic():
    found = _actual(RULE_FIXTURES / "invalid-value--mapping-value.yml")
    assert [(d["rule"], d["line"]) for d in found] == [("invalid-value", 4), ("invalid-value", 8)]


def test_values_are_read_as_mergekit_reads_them():
    found = _one("invalid-value--lax-types.yml", "invalid-value")
    assert [_text_at("invalid-value--lax-types.yml", d) for d in found] == ['" TRUE "', '"1 000"']
    (d,) = _one("invalid-value--integer.yml", "invalid-value")
    assert _text_at("invalid-value--integer.yml", d) == '"1e3"'
    found = _one("invalid-value--not-finite.yml", "invalid-value")
    assert [d["line"] for d in found] == [6, 9, 12] and all(d["severity"] == "error" for d in found)


def test_empty_layer_range_is_an_error():
    (d,) = _one("layer-range--empty.yml", "layer-range")
    assert d["severity"] == "error" and "0 layers" in d["message"]
