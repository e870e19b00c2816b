"""`mergelint sweep` end to end over tiny models on embedded Ray: random and TPE searches, resume,
a bad search path refused before anything runs, and failing trials recorded while the sweep goes on."""

from __future__ import annotations

import json
import math

from conftest import base_config

FIELDS = ["trial", "params", "objective", "seconds", "config"]


def test_random_sweep_scores_perplexity_and_keeps_the_configs_comments(tmp_path, models, sweep_cli):
    (tmp_path / "merge.yml").write_text(base_config(models))
    (tmp_path / "text.txt").write_text(models.text.read_text())
    sweep = tmp_path / "sweep.yml"
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {range: [0.1, 1.0]}\n"
                     "  models[1].parameters.weight: {range: [0.01, 1.0], log: true}\n"
                     "objective: {perplexity: text.txt, window: 64}\nalgorithm: random\nseed: 7\ntrials: 3\n")
    ran = sweep_cli(sweep, "--workers", "2", "--keep", "best")
    assert ran.returncode == 0, ran.stderr
    records = ran.records()
    assert sorted(r["trial"] for r in records) == [0, 1, 2]
    for r in records:
        assert list(r) == FIELDS
        assert math.isfinite(r["objective"]) and r["objective"] > 1
        assert set(r["params"]) == {"models[0].parameters.weight", "models[1].parameters.weight"}
        assert 0.1 <= r["params"]["models[0].parameters.weight"] <= 1.0
    best = min(records, key=lambda r: r["objective"])
    best_yml = (ran.out / "best.yml").read_text()
    assert best_yml == best["config"]
    # Only the two searched values changed: every other line, comments and quotes included, as written.
    expected = base_config(models, repr(best["params"]["models[0].parameters.weight"]),
                           repr(best["params"]["models[1].parameters.weight"]))
    assert [line.split("#")[0].rstrip() for line in best_yml.splitlines()] == \
           [line.split("#")[0].rstrip() for line in expected.splitlines()]
    assert "# the merge being tuned" in best_yml and "# searched" in best_yml and f'"{models.a}"' in best_yml
    kept = sorted(p.name for p in (ran.out / "models").iterdir())
    assert kept == [f"trial-{best['trial']:04d}"]  # --keep best: the losers' models are gone
    assert "sweep: 3/3 done, 0 running, 0 failed, best" in ran.stderr
    assert (ran.out / "sweep.png").read_bytes().startswith(b"\x89PNG")  # the objective per trial and parameter
    assert "models[1].parameters.weight" in (ran.out / "sweep.html").read_text()


def _tpe_sweep(tmp_path, trials: int) -> None:
    (tmp_path / "score.py").write_text(
        "import json, os\n\ndef score(model_dir):\n"
        "    return os.path.getsize(os.path.join(model_dir, 'model.safetensors')) / 1e6\n")
    (tmp_path / "sweep.yml").write_text(
        f"merge:\n  merge_method: slerp\n  base_model: {tmp_path}/a\n  models:\n    - model: {tmp_path}/a\n"
        f"    - model: {tmp_path}/b\n  parameters:\n    t: [0.5, 0.5]  # a gradient over the layers\n"
        "  dtype: float32\nsearch:\n  parameters.t:\n    - {range: [0.0, 1.0]}\n    - {choices: [0.25, 0.75]}\n"
        f"objective: {{python: 'score:score', direction: maximize}}\nalgorithm: tpe\nseed: 3\ntrials: {trials}\n")


def test_tpe_sweep_resumes_without_rerunning_finished_trials(tmp_path, models, sweep_cli):
    import shutil

    for name, path in (("a", models.a), ("b", models.b)):
        shutil.copytree(path, tmp_path / name)
    _tpe_sweep(tmp_path, 2)
    first = sweep_cli(tmp_path / "sweep.yml", "--workers", "2")
    assert first.returncode == 0, first.stderr
    before = first.lines()
    assert len(before) == 2
    again = sweep_cli(tmp_path / "sweep.yml")  # the same OUT without --resume: refused, nothing touched
    assert again.returncode == 2 and "--resume" in again.stderr and again.lines() == before
    _tpe_sweep(tmp_path, 4)  # more trials: only the new ones run
    resumed = sweep_cli(tmp_path / "sweep.yml", "--resume", "--workers", "2")
    assert resumed.returncode == 0, resumed.stderr
    after = resumed.lines()
    assert after[:2] == before  # byte for byte
    assert sorted(json.loads(line)["trial"] for line in after) == [0, 1, 2, 3]
    for r in resumed.records():
        t = r["params"]
        assert r["objective"] > 0 and t["parameters.t[1]"] in (0.25, 0.75) and 0 <= t["parameters.t[0]"] <= 1
        # The comment stays (ruamel puts it one space after a rewritten list).
        assert f"t: [{t['parameters.t[0]']!r}, {t['parameters.t[1]']!r}] # a gradient over the layers" in r["config"]
    assert not any((resumed.out / "models").iterdir())  # --keep none


def test_a_bad_search_path_is_refused_before_anything_runs(tmp_path, models, sweep_cli):
    (tmp_path / "merge.yml").write_text(base_config(models))
    (tmp_path / "text.txt").write_text("_tok_3 _tok_4 _tok_5\n")
    sweep = tmp_path / "sweep.yml"
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {range: [0, 1]}\n"
                     "  models[2].parameters.weight: {range: [0, 1]}\nobjective: {perplexity: text.txt}\n"
                     "algorithm: random\ntrials: 2\n")
    ran = sweep_cli(sweep)
    assert ran.returncode == 2
    assert f"{sweep}:4:3: search path models[2].parameters.weight is not in the base config merge.yml" in ran.stderr
    assert "models has 2 item(s)" in ran.stderr
    assert not ran.out.exists()  # nothing run, nothing written


def test_failing_trials_are_recorded_and_the_sweep_goes_on(tmp_path, models, sweep_cli):
    (tmp_path / "merge.yml").write_text(base_config(models))
    # NaN for one weight: a trial whose objective is not a number fails, with that said.
    (tmp_path / "nan_score.py").write_text(
        "import os\n\ndef score(model_dir):\n"
        "    text = open(os.path.join(model_dir, 'mergekit_config.yml')).read()\n"
        "    return float('nan') if 'weight: 0.25' in text else 1.0\n")
    sweep = tmp_path / "sweep.yml"
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {choices: [0.25, 0.5]}\n"
                     f"  models[1].model: {{choices: ['{models.b}', ./no-such-model]}}\n"
                     "objective: {python: 'nan_score:score'}\nalgorithm: grid\n")
    ran = sweep_cli(sweep, "--workers", "2")
    assert ran.returncode == 0, ran.stderr
    records = {(r["params"]["models[0].parameters.weight"], r["params"]["models[1].model"]): r
               for r in ran.records()}
    assert len(records) == 4  # the whole grid
    assert records[(0.5, models.b)]["objective"] == 1.0
    assert records[(0.25, models.b)]["objective"] is None
    assert records[(0.25, models.b)]["error"] == "objective is nan"
    for weight in (0.25, 0.5):
        failed = records[(weight, "./no-such-model")]
        assert failed["objective"] is None and failed["error"].startswith("checker: trial ")
        assert "no-such-model" in failed["error"]
    assert "sweep: 4/4 done, 0 running, 3 failed, best 1 (trial" in ran.stderr
