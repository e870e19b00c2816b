"""The published schema is generated, current, valid 2020-12, and accepts mergekit's examples."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from merge_core.schemas import PUBLISHED as FILES
from merge_core.tools import Tool
from mergelint.schema_file import render

ROOT = Path(__file__).parent.parent
PUBLISHED = ROOT / "schema" / FILES[Tool.YAML]
EXAMPLES = sorted((ROOT / "examples").glob("*.yml"))


@pytest.mark.parametrize("tool", list(FILES), ids=lambda t: t.value)
def test_published_schema_is_current(tool):
    assert (ROOT / "schema" / FILES[tool]).read_text() == render(tool), "run `mergelint schema --write`"


@pytest.mark.parametrize("tool", list(FILES), ids=lambda t: t.value)
def test_schema_is_valid_2020_12(tool):
    jsonschema.Draft202012Validator.check_schema(json.loads((ROOT / "schema" / FILES[tool]).read_text()))


def test_every_published_file_is_a_tools_schema():
    assert sorted(p.name for p in (ROOT / "schema").glob("*.schema.json")) == sorted(FILES.values())


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


MULTI = ROOT / "schema" / FILES[Tool.MULTI]


def test_multi_schema_takes_a_name_and_the_config_schema_does_not():
    stage = {"name": "blend", "merge_method": "linear", "models": [{"model": "a", "parameters": {"weight": 1}}]}
    multi = jsonschema.Draft202012Validator(json.loads(MULTI.read_text()))
    assert not list(multi.iter_errors(stage))
    assert [list(e.path) for e in multi.iter_errors({**stage, "name": 3})] == [["name"]]
    assert list(jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text())).iter_errors(stage))


MOE_OK = """
base_model: org/base
gate_mode: hidden
dtype: bfloat16
experts:
  - source_model: org/code
    positive_prompts: ["Write a function"]
    negative_prompts: null
    noise_scale: 0.01
shared_experts:
  - source_model: org/general
"""


def test_moe_schema_accepts_what_mergekit_moe_accepts_and_rejects_what_it_rejects():
    from mergekit.moe.config import MoEMergeConfig
    from pydantic import ValidationError

    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "schema" / FILES[Tool.MOE]).read_text()))
    good = yaml.safe_load(MOE_OK)
    MoEMergeConfig.model_validate(good)
    assert not list(validator.iter_errors(good))
    for bad in ({"experts": []}, {"base_model": "b"}, {"base_model": "b", "experts": [{"positive_prompts": ["x"]}]},
                {"base_model": "b", "experts": [{"source_model": "a", "positive_prompts": "x"}]}):
        with pytest.raises(ValidationError):
            MoEMergeConfig.model_validate(bad)
        assert list(validator.iter_errors(bad)), bad


EVOLVE_OK = """
genome:
  models: [org/a, {model: org/b, lora: org/l}]
  merge_method: ties
  base_model: org/base
  layer_granularity: 4
  filters: [mlp, self_attn]
  normalize: null
tasks:
  - my_task
  - {name: other, weight: 0.5, metric: "exact_match,strict-match"}
limit: 100
"""


def test_evolve_schema_accepts_what_mergekit_evolve_accepts_and_rejects_what_it_rejects():
    from mergekit.evo.config import EvolMergeConfiguration
    from pydantic import ValidationError

    validator = jsonschema.Draft202012Validator(json.loads((ROOT / "schema" / FILES[Tool.EVOLVE]).read_text()))
    good = yaml.safe_load(EVOLVE_OK)
    EvolMergeConfiguration.model_validate(good)
    assert not list(validator.iter_errors(good))
    genome = good["genome"]
    for bad in ({"genome": genome}, {"tasks": ["t"]}, {"genome": [genome], "tasks": ["t"]},
                {"genome": genome, "tasks": "t"}, {"genome": {**genome, "filters": "mlp"}, "tasks": ["t"]},
                {"genome": genome, "tasks": [{"weight": 2}]}, {"genome": {"models": ["a"]}, "tasks": ["t"]}):
        with pytest.raises(ValidationError):
            EvolMergeConfiguration.model_validate(bad)
        assert list(validator.iter_errors(bad)), bad
