"""A sweep on an existing Ray cluster (`--address`): a one-CPU head started here with `ray start`,
token authentication off (RAY_AUTH_MODE=disabled: this machine only), stopped at the end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, base_config

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, proc, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ray start exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    pytest.fail("the Ray head did not start listening")


@pytest.fixture
def head():
    ray = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    if ray is None:
        pytest.skip("the `ray` command is not installed")
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0"}
    # A short temp dir: Ray's Unix socket paths under it must fit in 107 bytes. --block keeps the
    # cluster's processes under this one child, so it is stopped by its own id (never `ray stop`,
    # which stops every Ray on the machine).
    temp = tempfile.mkdtemp(prefix="ray")
    proc = subprocess.Popen([ray, "start", "--head", "--block", "--num-cpus", "1", "--port", str(port),
                             "--include-dashboard=false", "--temp-dir", temp], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port, proc)
        time.sleep(3)  # the raylet registers after the GCS listens
        yield port, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(temp, ignore_errors=True)


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
