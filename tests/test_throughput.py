"""The throughput `run` remembers for `plan`'s time estimate (merge_core/throughput.py)."""

from __future__ import annotations

import json

from merge_core import throughput


def test_a_recorded_run_is_what_plan_assumes(tmp_path):
    env = {"MERGELINT_CACHE_DIR": str(tmp_path)}
    assert throughput.known("cpu", "linear", env) == (throughput.DEFAULT["cpu"], False)
    throughput.record("cpu", "linear", 200 << 20, 2.0, env)
    assert throughput.known("cpu", "linear", env) == ((200 << 20) / 2.0, True)
    # another method on the same device: the mean of what was measured; another device: the default
    throughput.record("cpu", "ties", 100 << 20, 2.0, env)
    assert throughput.known("cpu", "slerp", env) == ((150 << 20) / 2.0, True)
    assert throughput.known("cuda:1", "linear", env) == (throughput.DEFAULT["cuda"], False)
    # a new measurement is blended with the old, so one odd run does not swing the estimate
    throughput.record("cpu", "linear", 400 << 20, 2.0, env)
    assert throughput.known("cpu", "linear", env) == ((300 << 20) / 2.0, True)
    saved = json.loads((tmp_path / throughput.FILE).read_text())
    assert set(saved) == {"cpu"} and set(saved["cpu"]) == {"linear", "ties"}


def test_small_merges_and_a_broken_file_change_nothing(tmp_path):
    env = {"MERGELINT_CACHE_DIR": str(tmp_path)}
    throughput.record("cpu", "linear", 1 << 20, 0.01, env)  # start-up, not throughput
    assert not (tmp_path / throughput.FILE).exists()
    (tmp_path / throughput.FILE).write_text("{not json")
    assert throughput.known("cpu", "linear", env) == (throughput.DEFAULT["cpu"], False)
    throughput.record("cpu", "linear", 100 << 20, 1.0, env)
    assert throughput.known("cpu", "linear", env) == (float(100 << 20), True)


def test_an_unwritable_cache_does_not_fail(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    throughput.record("cpu", "linear", 100 << 20, 1.0, {"MERGELINT_CACHE_DIR": str(blocker / "sub")})
