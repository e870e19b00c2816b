"""`mergelint run` (a real subprocess, real tiny models) under faults: signals at many points,
a kill in the middle of publishing, a full disk, truncated or vanishing inputs, a hostile
pickle. After each: OUT is absent, the previous one, or complete and loadable; no partial or
set-aside folder is left once the next run is done; every input is byte-identical."""

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import time

import pytest
from run_support import command, environment, hashes, leftovers, run

ENV = environment()


def linear(*models):
    rows = ["merge_method: linear", "dtype: float32", "models:"]
    for m in models:
        rows += [f"  - model: {m}", "    parameters: {weight: 0.5}"]
    return "\n".join(rows) + "\n"


def weights(folder) -> bytes:
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        return f.read()


def loadable(folder) -> None:
    from safetensors.torch import load_file

    assert load_file(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json")) as f:
        json.load(f)


@pytest.fixture(scope="module")
def made(zoo, tmp_path_factory):
    """The merge of a+b ("new") and of a+c ("old", copied in as a previous OUT), made once."""
    folder = tmp_path_factory.mktemp("made")
    for name, models in (("new", (zoo.a, zoo.b)), ("old", (zoo.a, zoo.c))):
        (folder / f"{name}.yml").write_text(linear(*models))
        done = run(folder / f"{name}.yml", folder / name)
        assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture
def setup(zoo, made, tmp_path):
    """merge.yml (a+b) in a fresh folder, the weights it makes, the inputs' hashes."""
    shutil.copy(made / "new.yml", tmp_path / "merge.yml")
    return tmp_path, weights(made / "new"), hashes(zoo.a, zoo.b, zoo.c)


def previous_out(made, out):
    """An earlier output of a+c at OUT (a copy: its marker still lists what it holds)."""
    shutil.copytree(made / "old", out)
    return weights(out)


# (seed, signal, previous OUT?): each seed picks a progress line to wait for and a delay after it
SIGNAL_POINTS = [(1, signal.SIGINT, False), (2, signal.SIGTERM, True), (3, signal.SIGINT, True),
                 (4, signal.SIGTERM, False), (5, signal.SIGINT, True), (6, signal.SIGTERM, True)]


def test_signals_at_random_points(zoo, made, setup):
    tmp_path, new, inputs = setup
    states = set()
    for seed, signum, previous in SIGNAL_POINTS:
        rng = random.Random(seed)
        out = tmp_path / f"out{seed}"
        old = previous_out(made, out) if previous else None
        proc = subprocess.Popen(command(tmp_path / "merge.yml", out, "--force", "--json-progress"), env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for = rng.randint(0, 45)  # about the number of tensors: some land after the last line
        for _ in range(wait_for):
            if not proc.stdout.readline():
                break
        time.sleep(rng.uniform(0, 0.02))
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        # a signal as the process exits, once the command is over, ends it as it ends any program
        over = "mergelint: wrote" in err
        assert proc.returncode in (0, 130) or (over and proc.returncode == -signum), err
        assert "Traceback" not in err.split("mergelint: wrote")[0] and not leftovers(tmp_path), err
        if not out.exists():
            state = "absent"
            assert old is None and "nothing was written" in err, err
        elif weights(out) == new:
            state = "new"
            loadable(out)
            # "wrote" already told the user where the new merge is, before the signal ended the process
            assert proc.returncode == 0 or over or "the new merge is in place" in err, err
        else:
            state = "previous"
            assert weights(out) == old and "was left as it was" in err, err
        states.add(state)
    assert run(tmp_path / "merge.yml", out, "--force").returncode == 0  # and the next run is clean
    assert weights(out) == new and not leftovers(tmp_path)
    assert hashes(zoo.a, zoo.b, zoo.c) == inputs
    assert states & {"absent", "previous"}, states  # the points did reach the merge itself


@pytest.mark.parametrize("previous, signame, exchange", [(False, "SIGINT", True), (True, "SIGTERM", True),
                                                        (True, "SIGINT", False)])
def test_an_interrupt_while_publishing_waits_for_the_new_output(made, setup, previous, signame, exchange):
    """A signal delivered in the middle of the swap (or, without RENAME_EXCHANGE, of the two
    renames): the swap and the removal of the old folder finish."""
    tmp_path, new, _ = setup
    out = tmp_path / "out"
    if previous:
        previous_out(made, out)
    patch = ("import os, signal, merge_core.output_dir as o\n"
             + ("" if exchange else "o._exchange = lambda a, b: False\n") +
             "real = o.os.rename\n"
             f"def rename(a, b):\n    if '.partial-' in a:\n        os.kill(os.getpid(), signal.{signame})\n"
             "    return real(a, b)\n"
             "o.os.rename = rename\n"
             "real_x = o._exchange\n"
             f"def exchange(a, b):\n    os.kill(os.getpid(), signal.{signame})\n    return real_x(a, b)\n"
             "o._exchange = exchange\n")
    done = run(tmp_path / "merge.yml", out, "--force", patch=patch)
    assert done.returncode == 130 and "the new merge is in place" in done.stderr, done.stderr
    assert weights(out) == new and not leftovers(tmp_path)


@pytest.mark.parametrize("exchange", [True, False])
def test_a_run_killed_while_publishing_is_cleaned_up_by_the_next(made, setup, exchange):
    """SIGKILL cannot be deferred: killed after the swap (or, without RENAME_EXCHANGE, after the
    old OUT was set aside), the leftover folder is recognised and removed by the next run."""
    tmp_path, new, _ = setup
    out = tmp_path / "out"
    previous_out(made, out)
    (tmp_path / ".out.partial-0123abcd").mkdir()  # the name pattern without the marker: not ours  # the name pattern alone is not enough
    if exchange:
        patch = ("import os, signal, merge_core.output_dir as o\nreal = o._exchange\n"
                 "def exchange(a, b):\n    real(a, b)\n    os.kill(os.getpid(), signal.SIGKILL)\n"
                 "o._exchange = exchange\n")
    else:
        patch = ("import os, signal, merge_core.output_dir as o\no._exchange = lambda a, b: False\n"
                 "real = o.os.rename\n"
                 "def rename(a, b):\n    real(a, b)\n    if '.old-' in b:\n        os.kill(os.getpid(), signal.SIGKILL)\n"
                 "o.os.rename = rename\n")
    done = run(tmp_path / "merge.yml", out, "--force", patch=patch)
    assert done.returncode == -signal.SIGKILL
    # after the swap: the old OUT at the partial's name; set aside: the old OUT and the new one
    assert len(leftovers(tmp_path)) == (2 if exchange else 3)
    again = run(tmp_path / "merge.yml", out, "--force")
    assert again.returncode == 0, again.stderr
    assert "left by a run that was killed" in again.stderr and "has no .mergelint-output: left alone" in again.stderr
    assert weights(out) == new and leftovers(tmp_path) == [".out.partial-0123abcd"]


@contextlib.contextmanager
def small_disk(tmp_path):
    """A 64 kB tmpfs (skips where mounting is not allowed), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk(zoo, setup):
    tmp_path, _, inputs = setup
    with small_disk(tmp_path) as disk:
        done = run(tmp_path / "merge.yml", disk / "out", "--no-preflight")  # the writer meets the full disk
        assert done.returncode in (1, 2), done.stderr
        assert "no space left" in done.stderr.lower() and str(disk) in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr
        assert os.listdir(disk) == []
    assert hashes(zoo.a, zoo.b, zoo.c) == inputs


def test_a_small_disk_is_refused_before_writing(zoo, setup):
    tmp_path, _, inputs = setup
    with small_disk(tmp_path) as disk:
        done = run(tmp_path / "merge.yml", disk / "out")
        assert done.returncode == 1, done.stderr
        assert "preflight: the output needs" in done.stderr and f"free at {disk / 'out'}" in done.stderr
        assert os.listdir(disk) == []
    assert hashes(zoo.a, zoo.b, zoo.c) == inputs


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst / "model.safetensors"


def test_truncated_inputs(zoo, setup):
    tmp_path, _, _ = setup
    halved = _copy(zoo.b, tmp_path / "halved")
    with open(halved, "r+b") as f:
        f.truncate(halved.stat().st_size // 2)
    lying = _copy(zoo.b, tmp_path / "lying")
    with open(lying, "r+b") as f:  # a header that claims twice the bytes the file has
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        name = next(k for k in header if k != "__metadata__")
        begin, end = header[name]["data_offsets"]
        header[name]["data_offsets"] = [begin, end + lying.stat().st_size]
        raw = json.dumps(header).encode()
        f.seek(0)
        f.write(len(raw).to_bytes(8, "little") + raw)
    for broken in (halved, lying):
        (tmp_path / "broken.yml").write_text(linear(zoo.a, broken.parent))
        done = run(tmp_path / "broken.yml", tmp_path / "out")
        assert done.returncode == 1 and str(broken.parent) in done.stderr, done.stderr
        assert "model.safetensors" in done.stderr and "truncated" in done.stderr, done.stderr
        assert not (tmp_path / "out").exists() and not leftovers(tmp_path)


def test_an_input_that_vanishes_mid_run(zoo, setup):
    tmp_path, _, _ = setup
    victim = tmp_path / "victim"
    shutil.copytree(zoo.b, victim)
    (tmp_path / "victim.yml").write_text(linear(zoo.a, victim))
    patch = ("import shutil, merge_core.execute as e\nreal = e.Engine.run\n"
             f"def run(self, writer):\n    shutil.rmtree({str(victim)!r})\n    return real(self, writer)\n"
             "e.Engine.run = run\n")
    done = run(tmp_path / "victim.yml", tmp_path / "out", patch=patch)
    assert done.returncode == 1, done.stderr
    assert str(victim / "model.safetensors") in done.stderr and "No such file" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)


class Hostile:
    """Unpickled, it writes the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


def test_a_hostile_pickle_is_never_run(zoo, setup):
    import torch

    tmp_path, _, _ = setup
    folder = tmp_path / "pickled"
    folder.mkdir()
    shutil.copy(os.path.join(zoo.b, "config.json"), folder)
    marker = tmp_path / "pickle-ran.marker"
    torch.save({"model.embed_tokens.weight": Hostile(marker)}, folder / "pytorch_model.bin")
    torch.load(folder / "pytorch_model.bin", weights_only=False)  # the pickle is hostile indeed
    assert marker.exists()
    marker.unlink()
    (tmp_path / "pickle.yml").write_text(linear(zoo.a, folder))
    for flags in ((), ("--allow-pickle",)):
        done = run(tmp_path / "pickle.yml", tmp_path / "out", *flags)
        assert done.returncode == 1, done.stderr
        assert str(folder / "pytorch_model.bin") in done.stderr or "--allow-pickle" in done.stderr, done.stderr
        assert not marker.exists() and not (tmp_path / "out").exists() and not leftovers(tmp_path)
