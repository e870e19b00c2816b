"""One settings model: a settings file and the editor's settings are judged by the same
validator (mergelint.settings.read_table) and laid over each other the same way."""

from __future__ import annotations

import pytest

from lsp import editor_settings as editor
from mergelint.settings import Settings, read_table


@pytest.mark.parametrize(
    "table, found",
    [
        ({"select": ["ML102", "unknown-key"]}, {"select": ("ML102", "unknown-key")}),
        ({"select": "ML102, unknown-key"}, {"select": ("ML102", "unknown-key")}),
        ({"ignore": ["ML102,ML004", " "]}, {"ignore": ("ML102", "ML004")}),
        ({"severity": {"ML102": "WARNING", "ML004": "Info"}}, {"severity": (("ML004", "info"), ("ML102", "warning"))}),
        ({"online": True}, {"online": True}),
    ],
    ids=["list", "comma-string", "comma-items", "severity-any-case", "online"],
)
def test_accepted_forms(table, found):
    assert read_table(table) == (found, [])


@pytest.mark.parametrize(
    "table, problem",
    [
        ({"select": [1, 2]}, "'select' must be a list of rule names or codes (or one comma-separated string)"),
        ({"ignore": 5}, "'ignore' must be a list of rule names or codes (or one comma-separated string)"),
        ({"severity": ["ML102"]}, "'severity' must map rule names to error, warning or info"),
        ({"severity": {"ML102": "fatal"}}, "'severity' must map rule names to error, warning or info, not 'ML102' to 'fatal'"),
        ({"online": "yes"}, "'online' must be true or false"),
    ],
    ids=["select-not-names", "ignore-not-names", "severity-not-a-map", "severity-word", "online"],
)
def test_refused_forms_are_left_out_with_a_reason(table, problem):
    found, problems = read_table(table)
    assert problems == [problem] and found in ({}, {"severity": ()})


def test_one_bad_severity_leaves_the_others():
    assert read_table({"severity": {"ML102": "warning", "ML004": "loud"}})[0] == {"severity": (("ML102", "warning"),)}


def test_the_editor_takes_what_a_settings_file_takes():
    for table in ({"select": "ML102,ML004", "severity": {"ML102": "Warning"}}, {"ignore": [3]}, {"online": "no"}):
        client, problems = editor.parse({"mergelint": table})
        found, expected = read_table(table)
        assert problems == expected
        assert (client.select, client.ignore, client.severity) == (
            found.get("select", ()), found.get("ignore", ()), found.get("severity", ()))


def test_the_editor_passes_over_its_own_keys_and_nulls():
    client, problems = editor.parse({"settings": {"enable": False, "path": ["mergelint"], "trace": {"server": "off"},
                                                  "select": None, "severity": None, "online": None}})
    assert problems == [] and client == editor.ClientSettings(enable=False)


def test_editor_settings_are_laid_over_the_project_file(tmp_path):
    (tmp_path / ".mergelint.toml").write_text('ignore = ["ML102"]\nonline = true\n[severity]\nML004 = "error"\nML006 = "info"\n')
    client, _ = editor.parse({"ignore": "ML301", "severity": {"ML004": "INFO"}, "online": False})
    merged, problem = editor.effective(str(tmp_path), client)
    assert problem is None
    assert (merged.select, merged.ignore, merged.severity, merged.online) == (
        (), ("ML102", "ML301"), (("ML004", "info"), ("ML006", "info")), False)
    assert merged == Settings(ignore=("ML102",), severity=(("ML004", "error"), ("ML006", "info")), online=True,
                              origin=str(tmp_path / ".mergelint.toml")).merged(
        client.select, client.ignore, client.online, client.severity)


def test_the_editors_kind_forces_the_projects(tmp_path):
    (tmp_path / ".mergelint.toml").write_text('kind = "multi"\n')
    assert editor.effective(str(tmp_path), editor.parse({"kind": "moe"})[0])[0].kind == "moe"
    # VS Code's default `auto` (and null) leave the project's kind, and the content, to decide
    for unset in ("auto", None):
        client, problems = editor.parse({"mergelint": {"kind": unset}})
        assert problems == [] and editor.effective(str(tmp_path), client)[0].kind == "multi"
    assert editor.parse({"kind": "merge"})[1] == ["'kind' must be one of yaml, moe, multi, evolve, not 'merge'"]
