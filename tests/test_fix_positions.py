"""Positions are exact for every text the checker reads: a diagnostic's columns (code points, as
the JSON contract says) and a fix's edits point at the same characters, and `--fix` writes
exactly the edits it advertised, giving YAML that mergekit reads as meant."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from click.testing import CliRunner

from checker_support import MODEL_FACT_RULES
from mergelint.cli import main

BOM = b"\xef\xbb\xbf"


def _cli(*args, cwd):
    """`mergelint check ARGS` in `cwd`, in-process (the real command, without a Python start per call)."""
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", "--ignore", ",".join(MODEL_FACT_RULES), *args])
    finally:
        os.chdir(previous)


def mergekit_reads(path):
    """The config as mergekit 0.1.5 reads it (scripts/run_yaml.py): decoded as UTF-8, BOM and all."""
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f.read())


def _lines(text: str) -> list[str]:
    from mergelint.document import Source

    return Source(text).lines


def apply_json_edits(text: str, edits: list[dict]) -> str:
    """Apply `--format json` edits to a text: 1-based lines and columns in code points, end exclusive."""
    from mergelint.document import Position, Source

    source = Source(text)
    spans = sorted(((source.offset(Position(e["line"] - 1, e["column"] - 1)),
                     source.offset(Position(e["end_line"] - 1, e["end_column"] - 1)), e["new_text"]) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def advertised(tmp_path, name: str, rule: str) -> tuple[dict, list[dict]]:
    out = _cli("--format", "json", name, cwd=tmp_path).stdout
    (finding,) = [d for d in json.loads(out) if d["rule"] == rule]
    return finding, [e for f in finding["fixes"] if f["preferred"] for e in f["edits"]]


CASES = {
    "second-bom-in-a-value": 'merge_method: linear\nmodels:\n  - {model: "org/\ufeffa", parameters: {weigth: 1}}\n',
    "astral-plane": 'merge_method: linear\nmodels:\n  - {model: "org/\U0001f600a", parameters: {weigth: 1}}  # \U0001f600\n',
    "tab-in-quotes": 'merge_method: linear\nmodels:\n  - {model: "org/\ta", parameters: {weigth: 1}}  #\ttab\n',
    "crlf": "merge_method: linear\r\nmodels:\r\n  - model: org/a  # x\r\n    parameters: {weigth: 1}\r\n",
    "lone-cr": "merge_method: linear\rmodels:\r  - model: org/a\r    parameters: {weigth: 1}\r",
    "nel-and-ls": "merge_method: linear\x85models:\u2028  - model: org/\u00e9\n    parameters: {weigth: 1}\n",
    "no-final-newline": "merge_method: linear\nmodels:\n  - {model: org/\U0001f600, parameters: {weigth: 1}}",
}


@pytest.mark.parametrize("bom", [b"", BOM], ids=["no-bom", "bom"])
@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_columns_and_fix_edits_agree(tmp_path, text, bom):
    path = tmp_path / "c.yml"
    path.write_bytes(bom + text.encode())
    finding, edits = advertised(tmp_path, "c.yml", "unknown-parameter")
    line = _lines(text)[finding["line"] - 1]
    assert line[finding["column"] - 1 : finding["end_column"] - 1] == "weigth"
    assert [(e["column"], e["end_column"], e["new_text"]) for e in edits] == [(finding["column"], finding["end_column"], "weight")]
    expected = apply_json_edits(text, edits)
    assert _cli("--fix", "c.yml", cwd=tmp_path).exit_code == 0
    assert path.read_bytes() == bom + expected.encode()
    assert mergekit_reads(path)["models"][0]["parameters"] == {"weight": 1}


def test_second_bom_is_a_character_of_the_first_key(tmp_path):
    """mergekit skips one BOM; a second is part of the key, `\\ufeffdtype`, which it ignores."""
    text = "\ufeffdtype: bf16  # a second BOM\nmerge_method: passthrough\nmodels:\n  - model: org/a\n"
    path = tmp_path / "c.yml"
    path.write_bytes(BOM + text.encode())
    assert "dtype" not in mergekit_reads(path) and "\ufeffdtype" in mergekit_reads(path)
    finding, edits = advertised(tmp_path, "c.yml", "unknown-key")
    assert (finding["line"], finding["column"], finding["end_column"]) == (1, 1, 7)  # the BOM and `dtype`
    assert "did you mean 'dtype'?" in finding["message"]
    # --fix writes what the fix advertised, and the text is YAML again, read by mergekit as meant.
    _cli("--fix", "--select", "unknown-key", "c.yml", cwd=tmp_path)
    assert path.read_bytes() == BOM + apply_json_edits(text, edits).encode()
    assert mergekit_reads(path)["dtype"] == "bf16"
    result = _cli("--fix", "c.yml", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout
    assert path.read_bytes() == BOM + text.replace("\ufeffdtype: bf16", "dtype: bfloat16").encode()
    assert mergekit_reads(path) == {"dtype": "bfloat16", "merge_method": "passthrough", "models": [{"model": "org/a"}]}

