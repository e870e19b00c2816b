"""`mergelint run` whose reader goes away (`run --json-progress | head -1`): it ends quietly and
leaves no OUT, as an interrupted merge does."""

import os
import subprocess
import sys

from test_merge_cli import leftovers, linear

ENV = {k: v for k, v in os.environ.items() if k != "MERGELINT_DEBUG"}


def test_json_progress_into_a_closed_pipe_ends_quietly(zoo, tmp_path):
    (tmp_path / "merge.yml").write_text(linear(zoo))
    # The reader reads one line and goes away, as `head -1` does.
    proc = subprocess.Popen([sys.executable, "-m", "mergelint", "run", "merge.yml", "out", "--json-progress"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    # Quietly: the plan's notes, said before the merge started, and nothing after them.
    assert [line for line in stderr.decode().splitlines() if not line.startswith("mergelint: note: ")] == []
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)
