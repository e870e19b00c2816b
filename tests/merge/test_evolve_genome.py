"""mergekit-evolve's genome over real tiny models: where the checker says a genome fails, mergekit's
own ModelGenome fails (at start-up, or on the merge config it makes for every candidate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mergelint.checker import check_source
from mergelint.document import Source
from mergelint.settings import Settings

genome = pytest.importorskip("mergekit.evo.genome")


@pytest.fixture(scope="module")
def pair(zoo):  # (the zoo's models, not an import of conftest: which conftest that names depends on the run)
    return zoo.a, zoo.b


def _layers(model: str) -> int:
    return json.loads((Path(model) / "config.json").read_text())["num_hidden_layers"]


def _check(definition: dict, rule: str, base_dir: str | None = None) -> list:
    text = yaml.safe_dump({"genome": definition, "tasks": ["my_task"]})
    return [d for d in check_source(Source(text), Settings(select=(rule,)), base_dir=base_dir) if d.rule == rule]


def _genome(definition: dict):
    return genome.ModelGenome(genome.ModelGenomeDefinition.model_validate(definition))


@pytest.mark.parametrize("granularity", [0, 1, 2, 3, 5])
def test_layer_granularity_is_mergekits(pair, granularity):
    definition = {"models": list(pair), "merge_method": "linear", "layer_granularity": granularity}
    refused = _layers(pair[0]) % granularity != 0 if granularity else False
    if refused:
        with pytest.raises(AssertionError, match="multiple of layer_granularity"):
            _genome(definition)
    else:
        _genome(definition)
    assert bool(_check(definition, "layer-granularity")) is refused


def _candidate(definition: dict) -> str:
    """The mergekit-yaml config mergekit-evolve merges for its first candidate."""
    found = _genome(definition)
    config = found.genotype_merge_config(found.initial_genotype())
    return yaml.safe_dump(config.model_dump(mode="json", exclude_none=True))


@pytest.mark.parametrize("method, fails_with", [("linear", "missing-required-parameter"), ("slerp", "method-arity")])
def test_an_unlisted_base_breaks_every_candidate(pair, method, fails_with):
    a, b = pair
    definition = {"models": [a], "merge_method": method, "base_model": b}
    if method == "slerp":
        definition["models"] = [a, a + "/."]  # two models, neither the base
    assert _check(definition, "evolve-base-model")[0].severity == "error"
    # mergelint's own mergekit-yaml rules refuse the config mergekit-evolve makes from it
    merged = check_source(Source(_candidate(definition)), Settings(select=(fails_with,)))
    assert [d.rule for d in merged] and {d.rule for d in merged} == {fails_with}


def test_slerp_over_one_model_fails_on_the_first_candidate(pair):
    definition = {"models": [pair[0]], "merge_method": "slerp"}
    with pytest.raises(RuntimeError):
        _candidate(definition)
    assert _check(definition, "evolve-models")
