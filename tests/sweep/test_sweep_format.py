"""SWEEP.yml read and checked without Ray: search paths against the base config, domains, and the
sampled config's text (ruamel round-trip: only the searched values change)."""

from __future__ import annotations

import pytest

from sweep import config_text, format as sweep_format, paths
from sweep.errors import SweepError

BASE = """\
# tuned
merge_method: linear
models:
  - model: "org/a"   # quoted
    parameters:
      weight: 0.5
  - model: org/b
    parameters:
      weight: [0.1, 0.2]
"""


def test_paths_parse_and_resolve():
    assert paths.parse("models[0].parameters.weight") == ("models", 0, "parameters", "weight")
    assert paths.parse("models[0]..weight") is None
    doc = config_text.load(BASE)
    container, key = paths.resolve(doc, paths.parse("models[1].parameters.weight"))
    assert key == "weight" and list(container[key]) == [0.1, 0.2]
    with pytest.raises(ValueError, match=r"models\[0\].parameters.density is not in the config"):
        paths.resolve(doc, paths.parse("models[0].parameters.density"))


def test_the_sampled_config_changes_only_the_searched_values():
    search = [sweep_format.Search("models[0].parameters.weight", paths.parse("models[0].parameters.weight"),
                                  (None,), False),
              sweep_format.Search("models[1].parameters.weight", paths.parse("models[1].parameters.weight"),
                                  (None, None), True)]
    params = {"models[0].parameters.weight": 0.75, "models[1].parameters.weight[0]": 0.3,
              "models[1].parameters.weight[1]": 0.4}
    assert config_text.sampled(BASE, search, params) == BASE.replace("weight: 0.5", "weight: 0.75").replace(
        "[0.1, 0.2]", "[0.3, 0.4]")


def test_sweep_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "merge.yml").write_text(BASE)
    sweep = tmp_path / "sweep.yml"
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {range: [1, 0]}\n"
                     "objective: {python: 'os:getcwd'}\ntrials: 2\n")
    with pytest.raises(SweepError, match=r"sweep.yml:3:32: `range` is \[lo, hi\]"):
        sweep_format.load(str(sweep))
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {range: [0, 1]}\n"
                     "objective: {lm_eval: hellaswag}\ntrials: 2\n")
    try:
        import lm_eval  # noqa: F401
    except ImportError:
        with pytest.raises(SweepError, match="objective lm_eval needs the lm-eval package, which is not installed"):
            sweep_format.load(str(sweep))
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {range: [0, 1]}\n"
                     "objective: {python: 'os:getcwd'}\nalgorithm: grid\n")
    with pytest.raises(SweepError, match=r"algorithm grid: models\[0\].parameters.weight: a range needs `steps: N`"):
        sweep_format.load(str(sweep))
    sweep.write_text("base: moe.yml\nsearch:\n  gate_mode: {choices: [hidden, random]}\n"
                     "objective: {python: 'os:getcwd'}\nalgorithm: grid\n")
    (tmp_path / "moe.yml").write_text("base_model: org/a\ngate_mode: hidden\nexperts:\n  - source_model: org/b\n")
    with pytest.raises(SweepError, match="moe.yml: a mergekit-moe config; a sweep searches mergekit-yaml configs"):
        sweep_format.load(str(sweep))
