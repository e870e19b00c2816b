"""`mergelint` on the command line: exit codes, formats, rule selection, suppressions, settings,
directories, standard input, --fix, `rules` and `explain`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from checker_support import MODEL_FACT_RULES, ROOT, RULE_FIXTURES
from mergelint.cli import main
from mergelint.rules import RULES
from mergelint.suppressions import UNUSED

GOOD = "merge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1.0}\n"
# One error (missing weight, with a fix) and one warning (unknown key).
BAD = "merge_method: linear\nmodels:\n  - model: org/a  # first\n  - model: org/b\n    parameters: {weight: 1.0}\noutput_dir: ./out\n"
WARN_ONLY = GOOD + "output_dir: ./out\n"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `mergelint ARGS` in-process, in a fresh folder (no settings file above it).

    `check` leaves out the model-fact rules: the models of these configs exist nowhere, and
    each would get an info worded after this machine's Hugging Face cache.
    """
    monkeypatch.chdir(tmp_path)

    def run(*args, input=None, facts=False):
        args = list(args)
        if args[:1] == ["check"] and not facts:
            args[1:1] = ["--ignore", ",".join(MODEL_FACT_RULES)]
        return CliRunner().invoke(main, args, input=input)

    return run


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def run_module(*args, cwd, input=None):
    """The real thing: `python -m mergelint ARGS` in a subprocess."""
    env = {k: v for k, v in os.environ.items() if k != "MERGELINT_DEBUG"}
    return subprocess.run([sys.executable, "-m", "mergelint", *args], cwd=cwd, input=input,
                          capture_output=True, timeout=60, env=env)


# Exit codes.


def test_exit_codes_in_a_real_process(tmp_path):
    write(tmp_path / "good.yml", GOOD)
    write(tmp_path / "bad.yml", BAD)
    write(tmp_path / "warn.yml", WARN_ONLY)
    write(tmp_path / "binary.yml", b"merge_method: linear\n\x00\x01\x02")
    assert run_module("check", "good.yml", cwd=tmp_path).returncode == 0
    assert run_module("check", "warn.yml", cwd=tmp_path).returncode == 0
    assert run_module("check", "bad.yml", cwd=tmp_path).returncode == 1
    result = run_module("check", "good.yml", "binary.yml", "bad.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == "mergelint: binary.yml: binary file (contains NUL bytes), not a YAML config\n"
    assert b"bad.yml:3:12: error[missing-required-parameter]" in result.stdout  # the other files are still checked


@pytest.mark.parametrize(
    "content,message",
    [
        (b"\x00\x00\x00\x00", "binary file (contains NUL bytes), not a YAML config"),
        (b"merge_method: lin\xe9ar\n", "not UTF-8 text (invalid byte at offset 17)"),
        (b"\xff\xfem\x00e\x00", "binary file (contains NUL bytes), not a YAML config"),  # UTF-16
    ],
    ids=["binary", "latin-1", "utf-16"],
)
def test_unreadable_input_is_exit_2_with_one_line(cli, tmp_path, content, message):
    write(tmp_path / "c.yml", content)
    result = cli("check", "c.yml")
    assert result.exit_code == 2
    assert result.stderr == f"mergelint: c.yml: {message}\n"
    assert result.stdout == ""


def test_missing_file_is_exit_2(cli):
    result = cli("check", "nope.yml")
    assert result.exit_code == 2
    assert result.stderr == "mergelint: nope.yml: no such file or directory\n"


def test_unknown_rule_is_a_usage_error(cli, tmp_path):
    write(tmp_path / "c.yml", GOOD)
    for option in ("--select", "--ignore"):
        result = cli("check", option, "no-such-rule", "c.yml")
        assert result.exit_code == 2
        assert result.stderr == "mergelint: unknown rule(s): no-such-rule (see `mergelint rules`)\n"


def test_unknown_option_and_no_paths_are_usage_errors(cli):
    assert cli("check").exit_code == 2
    assert cli("check", "--format", "xml", "c.yml").exit_code == 2


def test_highest_exit_code_wins(cli, tmp_path):
    write(tmp_path / "good.yml", GOOD)
    write(tmp_path / "bad.yml", BAD)
    assert cli("check", "good.yml", "good.yml").exit_code == 0
    assert cli("check", "good.yml", "bad.yml", "good.yml").exit_code == 1
    assert cli("check", "bad.yml", "missing.yml").exit_code == 2
    assert cli("check", "missing.yml", "bad.yml").exit_code == 2


def test_yaml_syntax_error_is_exit_1(cli, tmp_path):
    write(tmp_path / "c.yml", "merge_method: linear\nmodels: [\n")
    result = cli("check", "c.yml")
    assert result.exit_code == 1
    assert "error[yaml-syntax]" in result.stdout


# Formats.


def test_text_format(cli, tmp_path):
    write(tmp_path / "c.yml", BAD)
    result = cli("check", "c.yml")
    assert result.exit_code == 1
    assert result.stdout == """\
c.yml:3:12: error[missing-required-parameter] linear requires 'weight' for model 'org/a'
   |
 3 |   - model: org/a  # first
   |            ^^^^^
  = fix: Add weight: 1.0
c.yml:6:1: warning[unknown-key] unknown key 'output_dir': mergekit ignores it (allowed here: base_model, chat_template, dtype, merge_method, models, modules, out_dtype, parameters, slices, tokenizer, tokenizer_source)
   |
 6 | output_dir: ./out
   | ^^^^^^^^^^
"""


def test_text_format_without_color_when_not_a_terminal(cli, tmp_path):
    write(tmp_path / "c.yml", BAD)
    assert "\033[" not in cli("check", "c.yml").stdout
    colored = CliRunner().invoke(main, ["check", "--color", "c.yml"], color=True)
    assert "\033[31m^^^^^\033[0m" in colored.stdout


def test_json_format(cli, tmp_path):
    write(tmp_path / "c.yml", BAD)
    result = cli("check", "--format", "json", "c.yml")
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)
    assert first == {
        "path": "c.yml",
        "rule": "missing-required-parameter",
        "code": "ML102",
        "severity": "error",
        "message": "linear requires 'weight' for model 'org/a'",
        "line": 3,
        "column": 12,
        "end_line": 3,
        "end_column": 17,
        "fixes": [
            {
                "title": "Add weight: 1.0",
                "applicability": "safe",
                "preferred": True,
                "edits": [{"line": 3, "column": 26, "end_line": 3, "end_column": 26,
                           "new_text": "\n    parameters:\n      weight: 1.0"}],
            }
        ],
    }
    assert (second["rule"], second["code"], second["severity"], second["fixes"]) == ("unknown-key", "ML004", "warning", [])


def test_json_format_with_no_diagnostics_is_an_empty_array(cli, tmp_path):
    write(tmp_path / "c.yml", GOOD)
    result = cli("check", "--format", "json", "c.yml")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_json_columns_are_code_points(cli, tmp_path):
    write(tmp_path / "c.yml", "merge_method: linear\nmodels:\n  - model: \"ünï😀\"  # ✓\n")
    (d,) = json.loads(cli("check", "--format", "json", "c.yml").stdout)
    assert (d["line"], d["column"], d["end_column"]) == (3, 12, 18)


def test_github_format(cli, tmp_path):
    write(tmp_path / "dir,with:odd" / "c.yml", BAD)
    result = cli("check", "--format", "github", "dir,with:odd/c.yml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=dir%2Cwith%3Aodd/c.yml,line=3,col=12,endLine=3,endColumn=17,"
        "title=missing-required-parameter (ML102)::linear requires 'weight' for model 'org/a'",
        "::warning file=dir%2Cwith%3Aodd/c.yml,line=6,col=1,endLine=6,endColumn=11,"
        "title=unknown-key (ML004)::unknown key 'output_dir': mergekit ignores it (allowed here: base_model, "
        "chat_template, dtype, merge_method, models, modules, out_dtype, parameters, slices, tokenizer, tokenizer_source)",
    ]


def test_github_format_uses_notice_for_info(cli, tmp_path):
    write(tmp_path / "c.yml", (RULE_FIXTURES / "base-parameter-ignored.yml").read_text())
    lines = cli("check", "--format", "github", "c.yml").stdout.splitlines()
    assert lines and all(line.startswith("::notice file=c.yml,") for line in lines)


# The parts of SARIF 2.1.0 (sarif-schema-2.1.0.json) that a consumer such as GitHub code scanning
# requires, written out from the specification: there is no copy of the official schema offline.
_REGION = {
    "type": "object",
    "properties": {k: {"type": "integer", "minimum": 1} for k in ("startLine", "startColumn", "endLine", "endColumn")},
    "required": ["startLine"],
}
SARIF_2_1_0 = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "version": {"type": "string"},
                                    "informationUri": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "id": {"type": "string"},
                                                "name": {"type": "string"},
                                                "shortDescription": {"type": "object", "required": ["text"]},
                                                "fullDescription": {"type": "object", "required": ["text"]},
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {"level": {"enum": ["none", "note", "warning", "error"]}},
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "ruleId": {"type": "string"},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation"],
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                        "properties": {"uri": {"type": "string"}},
                                                    },
                                                    "region": _REGION,
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_format(cli, tmp_path):
    write(tmp_path / "c.yml", BAD)
    write(tmp_path / "info.yml", (RULE_FIXTURES / "base-parameter-ignored.yml").read_text())
    result = cli("check", "--format", "sarif", "c.yml", "info.yml")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SARIF_2_1_0).validate(sarif)
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in RULES] + [UNUSED.code]
    results = run["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "note"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 12, "endLine": 3, "endColumn": 17}
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "c.yml"


def test_sarif_with_no_results(cli, tmp_path):
    write(tmp_path / "c.yml", GOOD)
    result = cli("check", "--format", "sarif", "c.yml")
    assert result.exit_code == 0
    sarif = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SARIF_2_1_0).validate(sarif)
    assert sarif["runs"][0]["results"] == []


# --select / --ignore.


def _rules_reported(result) -> list[str]:
    return [d["rule"] for d in json.loads(result.stdout)]


@pytest.mark.parametrize("spelling", ["unknown-key", "ML004", "ml004"])
def test_select_by_name_or_code(cli, tmp_path, spelling):
    write(tmp_path / "c.yml", BAD)
    result = cli("check", "--format", "json", "--select", spelling, "c.yml")
    assert _rules_reported(result) == ["unknown-key"]
    assert result.exit_code == 0  # the error is not selected


@pytest.mark.parametrize("spelling", ["missing-required-parameter", "ML102"])
def test_ignore_by_name_or_code(cli, tmp_path, spelling):
    write(tmp_path / "c.yml", BAD)
    result = cli("check", "--format", "json", "--ignore", spelling, "c.yml")
    assert _rules_reported(result) == ["unknown-key"]
    assert result.exit_code == 0


def test_select_comma_separated_and_repeated(cli, tmp_path):
    write(tmp_path / "c.yml", BAD + "dtype: bf16\n")
    every = ["missing-required-parameter", "unknown-key", "dtype-value"]
    assert _rules_reported(cli("check", "--format", "json", "c.yml")) == every
    assert _rules_reported(cli("check", "--format", "json", "--select", "ML004,dtype-value", "c.yml")) == every[1:]
    assert _rules_reported(cli("check", "--format", "json", "--ignore", "ML004", "--ignore", "ML006", "c.yml")) == every[:1]


# Suppressions.


def _check_json(cli, text):
    Path("c.yml").write_text(text, encoding="utf-8")
    return json.loads(cli("check", "--format", "json", "c.yml").stdout)


def test_suppression_on_the_line(cli):
    found = _check_json(cli, GOOD + "output_dir: ./out  # mergelint: disable=unknown-key\n")
    assert found == []


def test_suppression_on_the_line_before(cli):
    found = _check_json(cli, GOOD + "# mergelint: disable=ML004\noutput_dir: ./out\n")
    assert found == []


def test_suppression_two_lines_before_does_not_apply(cli):
    found = _check_json(cli, GOOD + "# mergelint: disable=unknown-key\n\noutput_dir: ./out\n")
    assert [d["rule"] for d in found] == ["unused-suppression", "unknown-key"]


def test_suppression_only_of_the_named_rule(cli):
    found = _check_json(cli, GOOD + "output_dir: ./out  # mergelint: disable=dtype-value\n")
    assert [(d["rule"], d["line"]) for d in found] == [("unknown-key", 5), ("unused-suppression", 5)]
    unused = found[1]
    assert unused["message"] == "'dtype-value' in this suppression suppresses nothing here"
    assert (unused["column"], unused["severity"]) == (20, "warning")


def test_suppression_of_several_rules(cli):
    text = "merge_method: linear\nmodels:\n  - model: org/a  # mergelint: disable=missing-required-parameter, ML004\n"
    assert _check_json(cli, text) == [
        {"path": "c.yml", "rule": "unused-suppression", "code": "ML901", "severity": "warning",
         "message": "'ML004' in this suppression suppresses nothing here",
         "line": 3, "column": 19, "end_line": 3, "end_column": 73, "fixes": []}
    ]


def test_suppression_text_inside_a_scalar_is_not_a_comment(cli):
    quoted = GOOD + 'output_dir: "./out # mergelint: disable=unknown-key"\n'
    assert [d["rule"] for d in _check_json(cli, quoted)] == ["unknown-key"]
    block = GOOD + "output_dir: |\n  notes\n  # mergelint: disable=unknown-key\n"
    assert [d["rule"] for d in _check_json(cli, block)] == ["unknown-key"]
    after = GOOD + 'output_dir: "# not this"  # mergelint: disable=unknown-key\n'
    assert _check_json(cli, after) == []
    header = GOOD + "output_dir: |  # mergelint: disable=unknown-key\n  notes\n"  # a block scalar's header line
    assert _check_json(cli, header) == []


def test_disable_file(cli):
    text = "# mergelint: disable-file=missing-required-parameter,dtype-value\n" + BAD.replace("output_dir", "dtype: bf16\noutput_dir")
    assert [d["rule"] for d in _check_json(cli, text)] == ["unknown-key"]


def test_unknown_rule_in_a_suppression_is_reported(cli):
    found = _check_json(cli, GOOD + "# mergelint: disable=no-such-rule\n")
    assert [(d["rule"], d["message"]) for d in found] == [("unused-suppression", "'no-such-rule' in this suppression names no rule")]


def test_unused_suppression_is_a_rule_like_any_other(cli, tmp_path):
    Path("c.yml").write_text(GOOD + "# mergelint: disable=dtype-value\n")
    for option in (["--ignore", "unused-suppression"], ["--ignore", "ML901"], ["--select", "ML004"]):
        result = cli("check", "--format", "json", *option, "c.yml")
        assert (result.exit_code, json.loads(result.stdout)) == (0, [])
    # (another folder: settings are cached per folder for the life of the process)
    write(tmp_path / "strict" / ".mergelint.toml", '[severity]\nunused-suppression = "error"\n')
    write(tmp_path / "strict" / "c.yml", Path("c.yml").read_text())
    result = cli("check", "--format", "json", "strict/c.yml")
    assert result.exit_code == 1 and [d["severity"] for d in json.loads(result.stdout)] == ["error"]


# Settings files.


def test_settings_from_pyproject_found_upward(cli, tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.mergelint]\nignore = ["unknown-key"]\n')
    write(tmp_path / "configs" / "deep" / "c.yml", BAD)
    result = cli("check", "--format", "json", "configs/deep/c.yml")
    assert _rules_reported(result) == ["missing-required-parameter"]


def test_pyproject_without_a_mergelint_table_is_passed_over(cli, tmp_path):
    write(tmp_path / ".mergelint.toml", 'select = ["unknown-key"]\n')
    write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path / "sub" / "c.yml", BAD)
    assert _rules_reported(cli("check", "--format", "json", "sub/c.yml")) == ["unknown-key"]


def test_nearest_settings_file_wins(cli, tmp_path):
    write(tmp_path / ".mergelint.toml", 'ignore = ["missing-required-parameter"]\n')
    write(tmp_path / "a" / "c.yml", BAD)
    write(tmp_path / "b" / ".mergelint.toml", 'select = ["ML102"]\n')
    write(tmp_path / "b" / "c.yml", BAD)
    result = cli("check", "--format", "json", "a/c.yml", "b/c.yml")
    assert [(d["path"], d["rule"]) for d in json.loads(result.stdout)] == [
        ("a/c.yml", "unknown-key"),
        ("b/c.yml", "missing-required-parameter"),
    ]
    assert result.exit_code == 1


def test_severity_override(cli, tmp_path):
    write(tmp_path / ".mergelint.toml", '[severity]\nmissing-required-parameter = "warning"\nML004 = "error"\n')
    write(tmp_path / "c.yml", BAD)
    result = cli("check", "--format", "json", "c.yml")
    assert [(d["rule"], d["severity"]) for d in json.loads(result.stdout)] == [
        ("missing-required-parameter", "warning"),
        ("unknown-key", "error"),
    ]
    assert result.exit_code == 1
    write(tmp_path / "d" / "c.yml", BAD)
    write(tmp_path / "d" / ".mergelint.toml", '[severity]\nmissing-required-parameter = "info"\n')
    assert cli("check", "d/c.yml").exit_code == 0


def test_settings_file_takes_the_editors_forms(cli, tmp_path):
    # one settings model: a comma-separated string and severity words in any case, as the editor takes them
    write(tmp_path / ".mergelint.toml", 'select = "ML102, unknown-key"\n[severity]\nML004 = "Error"\n')
    write(tmp_path / "c.yml", BAD + "dtype: bf16\n")
    result = cli("check", "--format", "json", "c.yml")
    assert [(d["rule"], d["severity"]) for d in json.loads(result.stdout)] == [
        ("missing-required-parameter", "error"),
        ("unknown-key", "error"),
    ]


def test_command_line_select_and_ignore_combine_with_settings(cli, tmp_path):
    write(tmp_path / ".mergelint.toml", 'ignore = ["ML102"]\n')
    write(tmp_path / "c.yml", BAD + "dtype: bf16\n")
    assert _rules_reported(cli("check", "--format", "json", "--ignore", "dtype-value", "c.yml")) == ["unknown-key"]
    assert _rules_reported(cli("check", "--format", "json", "--select", "ML006", "c.yml")) == ["dtype-value"]


@pytest.mark.parametrize(
    "content,message",
    [
        ('select = "unknown-key"\nbogus = 1\n', "unknown setting(s) bogus"),
        ('[severity]\nunknown-key = "fatal"\n', "'severity' must map rule names to error, warning or info"),
        ("select = [1, 2]\n", "'select' must be a list of rule names or codes"),
        ("select = [\n", None),
    ],
    ids=["unknown-key", "bad-severity", "bad-select", "toml-syntax"],
)
def test_bad_settings_are_exit_2(cli, tmp_path, content, message):
    write(tmp_path / ".mergelint.toml", content)
    write(tmp_path / "c.yml", GOOD)
    result = cli("check", "c.yml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"mergelint: {tmp_path / '.mergelint.toml'}: ")
    assert result.stderr.count("\n") == 1
    if message:
        assert message in result.stderr


def test_unknown_rule_in_settings_is_a_usage_error(cli, tmp_path):
    write(tmp_path / ".mergelint.toml", 'ignore = ["no-such-rule"]\n')
    write(tmp_path / "c.yml", GOOD)
    result = cli("check", "c.yml")
    assert result.exit_code == 2 and "no-such-rule" in result.stderr


# Directories.


def test_directory_walk_checks_only_merge_configs(cli, tmp_path):
    write(tmp_path / "recipes" / "a.yml", BAD)
    write(tmp_path / "recipes" / "nested" / "b.yaml", "merge_method: slerp\nslices: []\n")
    write(tmp_path / "recipes" / "moe.yml", "base_model: x\nexperts:\n  - source_model: y\n")
    write(tmp_path / "recipes" / "ci.yml", "on: push\njobs: {}\n")  # YAML, not a merge config
    write(tmp_path / "recipes" / "notes.txt", "merge_method: linear\n")  # not YAML by name
    write(tmp_path / "recipes" / ".hidden" / "c.yml", BAD)
    write(tmp_path / "recipes" / ".venv" / "d.yml", BAD)
    write(tmp_path / "recipes" / "node_modules" / "e.yml", BAD)
    result = cli("check", "--format", "json", "recipes")
    paths = sorted({d["path"] for d in json.loads(result.stdout)})
    # moe.yml is a mergekit-moe config, checked as one: one expert for the default experts_per_token of 2,
    # and no prompts for the default gate_mode (hidden).
    assert paths == ["recipes/a.yml", "recipes/moe.yml", "recipes/nested/b.yaml"]
    moe = [d["rule"] for d in json.loads(result.stdout) if d["path"] == "recipes/moe.yml" and d["severity"] == "error"]
    assert moe == ["moe-experts-per-token", "moe-prompts-missing"]
    assert result.exit_code == 1


def test_named_file_is_checked_even_if_it_does_not_look_like_a_config(cli, tmp_path):
    write(tmp_path / "ci.yml", "on: push\n")
    result = cli("check", "--format", "json", "ci.yml")
    assert result.exit_code == 1
    assert "invalid-value" in _rules_reported(result)
    # ...unless the pre-commit hook asks to skip such files.
    assert cli("check", "--configs-only", "ci.yml").exit_code == 0


def test_empty_directory_is_fine(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result = cli("check", "empty")
    assert (result.exit_code, result.stdout) == (0, "")


# Standard input.


def test_stdin(cli):
    result = cli("check", "--format", "json", "-", input=BAD)
    assert result.exit_code == 1
    assert {d["path"] for d in json.loads(result.stdout)} == {"<stdin>"}


def test_stdin_filename_names_it_and_finds_its_settings(cli, tmp_path):
    write(tmp_path / "proj" / ".mergelint.toml", 'ignore = ["unknown-key"]\n')
    result = cli("check", "--format", "json", "--stdin-filename", "proj/c.yml", "-", input=BAD)
    assert [(d["path"], d["rule"]) for d in json.loads(result.stdout)] == [("proj/c.yml", "missing-required-parameter")]


def test_stdin_in_a_real_process(tmp_path):
    result = run_module("check", "-", cwd=tmp_path, input=BAD.encode())
    assert result.returncode == 1 and result.stdout.startswith(b"<stdin>:3:12: error[missing-required-parameter]")
    result = run_module("check", "-", cwd=tmp_path, input=b"\x00binary")
    assert result.returncode == 2 and result.stderr == b"mergelint: <stdin>: binary file (contains NUL bytes), not a YAML config\n"


def test_stdin_cannot_be_fixed(cli):
    result = cli("check", "--fix", "-", input=BAD)
    assert result.exit_code == 2
    assert result.stderr == "mergelint: --fix cannot rewrite standard input\n"


# --fix.


def test_fix_writes_the_file_and_reports_what_is_left(cli, tmp_path):
    path = write(tmp_path / "c.yml", BAD)
    os.chmod(path, 0o640)
    result = cli("check", "--fix", "--format", "json", "c.yml")
    assert result.exit_code == 0  # the error is fixed; the warning has no safe fix
    assert result.stderr == "c.yml: applied 1 fix\n"
    assert _rules_reported(result) == ["unknown-key"]
    assert path.read_text() == BAD.replace("# first\n", "# first\n    parameters:\n      weight: 1.0\n")
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["c.yml"]  # no temporary file left behind


def test_fix_leaves_a_clean_file_alone(cli, tmp_path):
    path = write(tmp_path / "c.yml", GOOD)
    before = os.stat(path).st_mtime_ns
    result = cli("check", "--fix", "c.yml")
    assert (result.exit_code, result.stderr) == (0, "")
    assert os.stat(path).st_mtime_ns == before


def test_fix_counts_several_fixes_and_keeps_remaining_errors(cli, tmp_path):
    path = write(tmp_path / "c.yml", "merge_method: linear\nmodels:\n  - model: a\n  - model: b\ndtype: bf16\nbase_model: c+d+e\n")
    result = cli("check", "--fix", "c.yml")
    assert result.stderr == "c.yml: applied 3 fixes\n"
    assert result.exit_code == 1  # the reference cannot be fixed
    assert "error[invalid-model-reference]" in result.stdout
    assert "dtype: bfloat16" in path.read_text()


def test_fix_is_atomic_in_a_real_process(tmp_path):
    path = write(tmp_path / "c.yml", BAD)
    write(tmp_path / "good.yml", GOOD)
    result = run_module("check", "--fix", "c.yml", "good.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path)) == ["c.yml", "good.yml"]
    assert "weight: 1.0" in path.read_text()


def test_fix_keeps_a_symlink_target_in_place(cli, tmp_path):
    target = write(tmp_path / "real" / "c.yml", BAD)
    (tmp_path / "link.yml").symlink_to(target)
    result = cli("check", "--fix", "link.yml")
    assert result.exit_code == 0
    assert (tmp_path / "link.yml").is_symlink()
    assert "weight: 1.0" in target.read_text()
    assert sorted(os.listdir(tmp_path / "real")) == ["c.yml"]


# rules and explain.


def test_rules_lists_every_rule(cli):
    result = cli("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(RULES) + 1
    for rule, line in zip([*RULES, UNUSED], lines):
        assert line.split()[:3] == [rule.code, rule.name, rule.severity]


def test_rules_as_json(cli):
    listed = json.loads(cli("rules", "--format", "json").stdout)
    assert [r["name"] for r in listed] == [r.name for r in RULES] + ["unused-suppression"]
    assert all(set(r) == {"code", "name", "severity", "summary", "aliases"} for r in listed)


@pytest.mark.parametrize("rule", [*RULES, UNUSED], ids=lambda r: r.name)
def test_explain_every_rule_by_name_and_code(cli, rule):
    by_name, by_code = cli("explain", rule.name), cli("explain", rule.code)
    assert by_name.exit_code == 0 and by_name.stdout == by_code.stdout
    text = by_name.stdout
    assert text.startswith(f"# {rule.name} ({rule.code})\n")
    assert "## What it does" in text and "## Why is this bad?" in text and "```yaml" in text


def test_explain_unknown_rule(cli):
    result = cli("explain", "nope")
    assert result.exit_code == 2
    assert result.stderr == "mergelint: unknown rule 'nope' (see `mergelint rules`)\n"


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("mergelint, version ")


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "mergelint"
    if not script.exists():
        pytest.skip("mergelint is not installed in this environment")
    result = subprocess.run([str(script), "check", str(RULE_FIXTURES / "dtype-value.yml")], capture_output=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1 and b"error[dtype-value]" in result.stdout


def test_text_format_never_prints_control_characters(cli, tmp_path):
    write(tmp_path / "c.yml", GOOD + "out\x1b[2Jdir: x\n")
    result = cli("check", "c.yml")
    assert "\x1b" not in result.stdout
    assert " 5 | out\ufffd[2Jdir: x" in result.stdout
    write(tmp_path / "d.yml", "merge_method: linear\nmodels:\n  - model: a   # \x1b[0m\n")
    result = cli("check", "d.yml")
    assert result.exit_code == 1 and "\x1b" not in result.stdout and "U+001B" in result.stdout


# --strict: warnings fail too (the pre-commit hook passes it by default).

TYPO = "merge_method: ties\nbase_model: org/base\nmodels:\n  - model: org/a\n    parameters: {weight: 1.0, densty: 0.5}\n"


def test_strict_makes_a_warning_exit_1_in_a_real_process(tmp_path):
    write(tmp_path / "typo.yml", TYPO)  # mergekit would merge it with density 1.0
    write(tmp_path / "good.yml", GOOD)  # only infos (Hub models not in the cache)
    assert run_module("check", "typo.yml", cwd=tmp_path).returncode == 0
    strict = run_module("check", "--strict", "typo.yml", cwd=tmp_path)
    assert strict.returncode == 1 and b"warning[unknown-parameter]" in strict.stdout
    assert run_module("check", "--strict", "good.yml", cwd=tmp_path).returncode == 0
    assert run_module("check", "--strict", "good.yml", "missing.yml", cwd=tmp_path).returncode == 2


def test_strict_keeps_errors_at_1_and_follows_severity_overrides(cli, tmp_path):
    write(tmp_path / "bad.yml", BAD)
    assert cli("check", "--strict", "bad.yml").exit_code == 1
    write(tmp_path / "quiet" / "warn.yml", WARN_ONLY)
    write(tmp_path / "quiet" / ".mergelint.toml", '[severity]\nunknown-key = "info"\n')
    assert cli("check", "--strict", "quiet/warn.yml").exit_code == 0


# .mergelint.toml takes the bare keys or the [tool.mergelint] table of a pyproject.toml.

@pytest.mark.parametrize("content", ['ignore = ["unknown-key"]\n', '[tool.mergelint]\nignore = ["unknown-key"]\n'],
                         ids=["bare", "tool-table"])
def test_mergelint_toml_in_either_form(cli, tmp_path, content):
    write(tmp_path / ".mergelint.toml", content)
    write(tmp_path / "c.yml", BAD)
    assert _rules_reported(cli("check", "--format", "json", "c.yml")) == ["missing-required-parameter"]


def test_mergelint_toml_with_another_tool_table_is_an_error(cli, tmp_path):
    write(tmp_path / ".mergelint.toml", '[tool.other]\nx = 1\n')
    write(tmp_path / "c.yml", GOOD)
    result = cli("check", "c.yml")
    assert result.exit_code == 2 and "unknown setting(s) tool" in result.stderr


# Hub models that are only not in the cache: one summary per file, in every format.

HUB_ONLY = ("merge_method: linear\nmodels:\n" + "".join(
    f"  - model: org/{n}\n    parameters: {{weight: 1.0}}\n" for n in ("a", "b", "c")))


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_hub_models_not_in_the_cache_get_one_summary(cli, tmp_path, monkeypatch, fmt):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    write(tmp_path / "c.yml", HUB_ONLY)
    result = cli("check", "--format", fmt, "c.yml", facts=True)
    assert result.exit_code == 0, result.output
    summary = (f"3 Hub models (org/a, org/b, org/c) are not in the Hugging Face cache ({tmp_path / 'empty-cache'}): "
               "checks of their files are skipped (--online reads their metadata from the Hub)")
    assert result.stdout.count("not in the Hugging Face cache") == 1
    assert summary in result.stdout


# "Did you mean": only a near spelling of a real option (mergelint/option_hints.py).

@pytest.mark.parametrize("command,typo,hint", [
    (["run", "c.yml", "out"], "--cude", "Did you mean '--cuda'?"),
    (["run", "c.yml", "out"], "--lazy-unpikle", "Did you mean '--lazy-unpickle'?"),
    (["check", "c.yml"], "--strcit", "Did you mean '--strict'?"),
    (["run", "c.yml", "out"], "--frobnicate", None),
    (["check", "c.yml"], "--frobnicate", None),
    (["check", "c.yml"], "--x", None),
])
def test_did_you_mean_only_for_a_near_spelling(cli, command, typo, hint):
    result = cli(*command, typo)
    assert result.exit_code == 2
    assert f"No such option '{typo}'." in result.stderr
    if hint is None:
        assert "mean" not in result.stderr, result.stderr
    else:
        assert hint in result.stderr
