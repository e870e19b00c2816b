"""mergekit-evolve configs: the words are mergekit 0.1.5's, the checker's verdicts are mergekit's
(EvolMergeConfiguration and check_for_naughty_config on the same YAML), bad input never crashes, and
`run` refuses an evolve config (mergekit-evolve runs its search)."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from checker_support import RULE_FIXTURES, check_text, load_fixture
from merge_core.evolve import language
from mergelint.checker import check_source
from mergelint.cli import main
from mergelint.settings import Settings

evo_config = pytest.importorskip("mergekit.evo.config")
genome = pytest.importorskip("mergekit.evo.genome")


def _fields(model) -> dict:
    return {name: (None if f.is_required() else f.default) for name, f in model.model_fields.items()}


def _ours(keys) -> dict:
    return {k.name: (None if k.default is language.REQUIRED else k.default) for k in keys}


def test_the_words_are_mergekits():
    assert _ours(language.TOP_LEVEL) == _fields(evo_config.EvolMergeConfiguration)
    assert _ours(language.GENOME_KEYS) == _fields(genome.ModelGenomeDefinition)
    assert _ours(language.TASK_KEYS) == _fields(evo_config.TaskConfiguration)
    assert {m: list(p) for m, p in language.METHOD_PARAMS.items()} == genome.METHOD_PARAM_MAPS
    assert list(language.BENCHMARK_PREFIXES) == evo_config.NAUGHTY_PREFIXES


def _loads(text: str) -> bool:
    try:
        evo_config.EvolMergeConfiguration.model_validate(yaml.safe_load(text))
    except ValueError:  # pydantic's ValidationError, genome.py's assertions included
        return False
    return True


# Each evolve fixture, and whether mergekit-evolve loads it: the errors it refuses at load are the
# checker's errors there; the others fail later (a merge, an evaluation) or are warnings.
LOADS = {
    "evolve-merge-method": False,
    "evolve-merge-method--yaml-only": False,
    "evolve-base-model": False,
    "evolve-base-model--not-listed": True,  # each merge fails (tests/merge/test_evolve_genome.py)
    "evolve-base-model--unused": True,
    "evolve-base-model--listed": True,
    "evolve-models": True,  # slerp's first candidate fails (tests/merge/test_evolve_genome.py)
    "evolve-models--only-base": True,
    "evolve-slerp-options": False,
    "evolve-task-metric": True,  # the evaluation's results have no such key
    "evolve-task-weight": True,
    "benchmark-task": True,  # refused by check_for_naughty_config, below
    "unknown-key--evolve": True,
    "unknown-key--evolve-misplaced": True,
    "invalid-value--evolve": False,
    "invalid-value--evolve-missing": False,
    "invalid-value--evolve-genome-list": False,
}


@pytest.mark.parametrize("name", LOADS)
def test_mergekit_agrees(name):
    text = (RULE_FIXTURES / f"{name}.yml").read_text(encoding="utf-8")
    assert _loads(text) is LOADS[name]
    rule = name.split("--")[0]
    found = check_source(load_fixture(RULE_FIXTURES / f"{name}.yml"), Settings(select=(rule,)))
    assert found and all(d.rule == rule for d in found)


def test_coerced_values_mergekit_takes_are_no_error():
    text = "genome:\n  models: [a, b]\n  merge_method: linear\n  layer_granularity: '4'\n  normalize: 'yes'\n" \
           "tasks:\n  - name: t\n    weight: '2'\nshuffle: 1\n"
    assert _loads(text)
    assert check_text(text) == []


def test_empty_models_fail_in_mergekit_before_any_search():
    text = (RULE_FIXTURES / "invalid-value--evolve.yml").read_text(encoding="utf-8")
    definition = genome.ModelGenomeDefinition(models=[], merge_method="linear")
    with pytest.raises(IndexError):
        genome.ModelGenome(definition)
    assert "genome.models must not be empty" in {d.message for d in check_text(text)}


def test_the_benchmark_guard_is_mergekits():
    text = (RULE_FIXTURES / "benchmark-task.yml").read_text(encoding="utf-8")
    config = evo_config.EvolMergeConfiguration.model_validate(yaml.safe_load(text))
    flagged = {d.message.split("'")[1] for d in check_text(text) if d.rule == "benchmark-task"}
    for task in config.tasks:
        one = config.model_copy(update={"tasks": [task]})
        refused = _raises(lambda: evo_config.check_for_naughty_config(one))
        assert refused is (task.name in flagged), task.name
        assert not _raises(lambda: evo_config.check_for_naughty_config(one, allow=True))
    assert language.BENCHMARK_FLAG in _message(lambda: evo_config.check_for_naughty_config(config))


def _raises(fn) -> bool:
    return _message(fn) is not None


def _message(fn) -> str | None:
    try:
        fn()
    except ValueError as e:
        return str(e)
    return None


BAD = [
    "genome: [a, b]\ntasks: [t]\n",
    "genome: 3\ntasks: t\n",
    "genome:\ntasks:\n",
    "genome:\n  models: {a: b}\n  merge_method: [linear]\ntasks: [[1], {name: [x]}, {metric: 3, weight: [1]}]\n",
    "genome:\n  models: [null, {model: 3}, '', a+]\n  merge_method: ties\n  base_model: {path: x}\ntasks: [t]\n",
    "genome:\n  models: [a]\n  merge_method: slerp\n  smooth: [1]\n  filters: {a: 1}\n  layer_granularity: [2]\n"
    "tasks: [{name: t, weight: .nan, metric: ','}]\n",
    "# mergelint: tool=evolve\n- a\n",
    "# mergelint: tool=evolve\n",
    "genome: &g {models: [a], merge_method: linear, base_model: *g}\ntasks: [t]\n",
]


@pytest.mark.parametrize("text", BAD)
def test_bad_input_never_crashes(text):
    found = check_text(text, settings=Settings())
    assert found and all(d.severity in ("error", "warning", "info") for d in found)


def test_run_refuses_an_evolve_config_before_reading_a_model(tmp_path):
    config = tmp_path / "evolve.yml"
    config.write_text("genome:\n  models: [org/a, org/b]\n  merge_method: linear\ntasks: [my_task]\n")
    result = CliRunner().invoke(main, ["run", str(config), str(tmp_path / "out")])
    assert result.exit_code == 2 and "mergekit-evolve runs its search" in result.stderr
    assert not (tmp_path / "out").exists()
