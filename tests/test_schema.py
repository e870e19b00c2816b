"""The published schema is generated, current, valid 2020-12, and accepts mergekit's examples."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from mergelint.schema_file import render

ROOT = Path(__file__).parent.parent
PUBLISHED = ROOT / "schema" / "mergekit-config.schema.json"
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))


def test_published_schema_is_current():
    assert PUBLISHED.read_text() == render(), "run `mergelint schema --write`"


def test_schema_is_valid_2020_12():
    jsonschema.Draft202012Validator.check_schema(json.loads(PUBLISHED.read_text()))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate(path):
    schema = json.loads(PUBLISHED.read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text()))


def test_per_method_parameter_names():
    schema = json.loads(PUBLISHED.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    config = {"merge_method": "ties", "base_model": "b", "models": [{"model": "a", "parameters": {"t": 0.5}}]}
    errors = list(validator.iter_errors(config))
    assert [list(e.path) for e in errors] == [["models", 0, "parameters"]]
    config["models"][0]["parameters"] = {"weight": 0.5, "density": 0.5}
    assert not list(validator.iter_errors(config))


MULTI = ROOT / "schema" / "mergekit-multi.schema.json"


def test_published_multi_schema_is_current():
    assert MULTI.read_text() == render(multi=True), "run `mergelint schema --write`"


def test_multi_schema_takes_a_name_and_the_config_schema_does_not():
    stage = {"name": "blend", "merge_method": "linear", "models": [{"model": "a", "parameters": {"weight": 1}}]}
    multi = jsonschema.Draft202012Validator(json.loads(MULTI.read_text()))
    jsonschema.Draft202012Validator.check_schema(multi.schema)
    assert not list(multi.iter_errors(stage))
    assert [list(e.path) for e in multi.iter_errors({**stage, "name": 3})] == [["name"]]
    assert list(jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text())).iter_errors(stage))
