"""A sweep on an existing Ray cluster (`--address`): a one-CPU head started here with `ray start`,
token authentication off (RAY_AUTH_MODE=disabled: this machine only), stopped at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, base_config

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def head(tmp_path):
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if ray is None:
        pytest.skip("the `ray` command is not installed")
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([ray, "start", "--head", "--num-cpus", "1", "--port", str(port), "--include-dashboard=false",
                    "--temp-dir", str(tmp_path / "ray")], env=env, check=True, capture_output=True, timeout=180)
    try:
        yield port, env
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)


def test_sweep_runs_on_an_existing_cluster(tmp_path, models, sweep_cli, head):
    port, env = head
    (tmp_path / "merge.yml").write_text(base_config(models))
    (tmp_path / "text.txt").write_text(models.text.read_text())
    sweep = tmp_path / "sweep.yml"
    sweep.write_text("base: merge.yml\nsearch:\n  models[0].parameters.weight: {range: [0.1, 1.0]}\n"
                     "objective: {perplexity: text.txt, window: 64}\nalgorithm: random\nseed: 1\ntrials: 2\n")
    ran = sweep_cli(sweep, "--address", f"127.0.0.1:{port}", env=env)
    assert ran.returncode == 0, ran.stderr
    assert sorted(r["trial"] for r in ran.records()) == [0, 1]
    assert all(r["objective"] > 1 for r in ran.records())
