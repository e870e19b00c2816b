"""`mergelint run` end to end: lint first, atomic output, shards, progress, bad input."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mergelint.cli import main


def linear(zoo, *models, dtype="float32"):
    rows = ["merge_method: linear", f"dtype: {dtype}", "models:"]
    for m in models or (zoo.a, zoo.b):
        rows += [f"  - model: {m}", "    parameters: {weight: 0.5}"]
    return "\n".join(rows) + "\n"


def invoke(*args):
    result = CliRunner().invoke(main, ["run", *map(str, args)], catch_exceptions=False)
    return result


def leftovers(folder):
    return [n for n in os.listdir(folder) if ".partial-" in n or ".old-" in n]


def test_run_writes_a_loadable_model(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = invoke(cfg(linear(zoo)), out)
    assert result.exit_code == 0, result.output
    assert {"model.safetensors", "config.json", "README.md", "mergekit_config.yml", "tokenizer.json"} <= set(
        os.listdir(out))
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.num_hidden_layers == 4
    AutoTokenizer.from_pretrained(out)
    assert "linear" in (out / "README.md").read_text().lower()


def test_lint_errors_refuse_the_run(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    text = f"merge_method: linear\nmodels:\n  - model: {zoo.a}\n  - model: {zoo.b}\n"  # no weights
    result = invoke(cfg(text), out)
    assert result.exit_code == 1
    assert "missing-required-parameter" in result.output and "not merging" in result.output
    assert not out.exists()


def test_run_lints_as_a_run_a_missing_local_model_is_an_error(zoo, cfg, tmp_path):
    """`check` warns of a missing local path (the config may be checked where it does not run); `run` is
    where it runs, so its lint (for_run) makes that an error and stops before anything is read."""
    out, missing = tmp_path / "out", tmp_path / "not-downloaded-yet"
    path = cfg(linear(zoo, zoo.a, missing))
    checked = CliRunner().invoke(main, ["check", str(path)])
    assert (checked.exit_code, "warning[model-not-found]" in checked.output) == (0, True), checked.output
    result = invoke(path, out)
    assert result.exit_code == 1, result.output
    assert "error[model-not-found]" in result.output and "1 error; not merging" in result.output
    assert not out.exists()


def test_dry_run_prints_the_plan(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    text = (f"merge_method: slerp\nbase_model: {zoo.a}\nparameters: {{t: [0, 1]}}\nslices:\n"
            f"  - sources: [{{model: {zoo.a}, layer_range: [0, 3]}}, {{model: {zoo.b}, layer_range: [1, 4]}}]\n")
    result = invoke(cfg(text), out, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "model.layers.2.mlp.up_proj.weight [64, 32] float32  <- slerp {\"t\":1.0}" in result.output
    assert f"{zoo.b}:model.layers.3.mlp.up_proj.weight" in result.output
    assert "model.layers.0.self_attn.q_proj.weight [32, 32] float32  <- slerp {\"t\":0.0}" in result.output
    assert "output tensors by slerp" in result.output and "3 layers" in result.output
    assert not out.exists()


def test_existing_out_needs_force(zoo, cfg, tmp_path):
    """--force replaces an earlier output (an unrelated folder is refused: test_run_safety.py)."""
    out = tmp_path / "out"
    assert invoke(cfg(linear(zoo, zoo.a, zoo.c)), out).exit_code == 0
    (out / "README.md").write_text("x")
    result = invoke(cfg(linear(zoo)), out)
    assert result.exit_code == 2 and "--force" in result.output
    assert (out / "README.md").read_text() == "x"
    result = invoke(cfg(linear(zoo)), out, "--force")
    assert result.exit_code == 0, result.output
    assert (out / "README.md").read_text() != "x" and (out / "model.safetensors").exists()
    assert not leftovers(tmp_path)


def test_shards_and_index(zoo, cfg, tmp_path, tensors_of):
    import torch

    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert invoke(cfg(linear(zoo)), whole).exit_code == 0
    assert invoke(cfg(linear(zoo)), parts, "--out-shard-size", "20kB").exit_code == 0
    shards = sorted(f for f in os.listdir(parts) if f.endswith(".safetensors"))
    assert len(shards) > 3 and shards[0] == f"model-00001-of-{len(shards):05d}.safetensors"
    index = json.loads((parts / "model.safetensors.index.json").read_text())
    a, b = tensors_of(str(whole)), tensors_of(str(parts))
    assert set(index["weight_map"]) == set(a) == set(b)
    assert index["metadata"]["total_size"] == sum(t.numel() * t.element_size() for t in a.values())
    assert all(torch.equal(a[k], b[k]) for k in a)
    for f in shards:
        assert os.path.getsize(parts / f) <= 20_000 + 8 + 4096  # limit + header


def test_json_progress(zoo, cfg, tmp_path):
    result = invoke(cfg(linear(zoo)), tmp_path / "out", "--json-progress")
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["done"] == events[-1]["total"] == len([e for e in events if e["done"] > 0])
    assert events[-1]["bytes_done"] == events[-1]["bytes_total"] > 0


def test_missing_model_is_an_error(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = invoke(cfg(linear(zoo, zoo.a, str(tmp_path / "nope"))), out)
    assert result.exit_code == 1
    assert "nope" in result.output and "no such folder" in result.output
    assert not out.exists() and not leftovers(tmp_path)


def test_inconsistent_shapes_name_the_tensor(zoo, cfg, tmp_path, run_mergekit, same_as):
    from merge_core.errors import MergeError
    from merge_core.run import Options, run_merge

    out = tmp_path / "out"
    text = linear(zoo, zoo.a, zoo.small_vocab)
    result = invoke(cfg(text), out)
    assert result.exit_code == 1 and "vocab-mismatch" in result.output  # the linter sees it first
    with pytest.raises(MergeError, match="Tensor size mismatch for model.embed_tokens.weight") as e:
        run_merge(text, str(out), Options())  # the engine checks again, before any math
    assert "--unsafe-truncate-embeddings" in str(e.value) and not out.exists() and not leftovers(tmp_path)
    result = invoke(cfg(text), out, "--unsafe-truncate-embeddings")
    assert result.exit_code == 0, result.output
    assert "UNSAFE vocabulary truncation" in result.output
    same_as(str(out), run_mergekit(text, unsafe_truncate_embeddings=True))


def test_corrupt_shard(zoo, cfg, tmp_path):
    import shutil

    from merge_core.errors import MergeError
    from merge_core.run import Options, run_merge

    broken = tmp_path / "broken"
    shutil.copytree(zoo.b, broken)
    path = broken / "model.safetensors"
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 100)
    out = tmp_path / "out"
    text = linear(zoo, zoo.a, broken)
    result = invoke(cfg(text), out)
    assert result.exit_code == 1 and "model-files-unreadable" in result.output
    with pytest.raises(MergeError, match="truncated") as e:
        run_merge(text, str(out), Options())
    assert str(path) in str(e.value)
    assert not out.exists() and not leftovers(tmp_path)


def test_input_truncated_mid_run(zoo, tmp_path):
    """A checkpoint that shrinks after planning: an error naming the file and the tensor."""
    import shutil

    from merge_core.errors import MergeError
    from merge_core.run import Options, run_merge

    victim = tmp_path / "victim"
    shutil.copytree(zoo.b, victim)
    path = victim / "model.safetensors"

    def shrink(plan):
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size // 2)

    out = tmp_path / "out"
    with pytest.raises(MergeError, match=f"{path}: .*(truncated|shrank).*") as e:
        run_merge(linear(zoo, zoo.a, victim), str(out), Options(), on_plan=shrink)
    assert not out.exists() and not leftovers(tmp_path)


def test_interrupt_and_full_disk_leave_nothing(zoo, cfg, tmp_path, monkeypatch):
    from merge_core import write

    calls = {"n": 0}
    real = write.ShardWriter.write

    def flaky(self, name, tensor):
        calls["n"] += 1
        if calls["n"] == 5:
            raise exc
        return real(self, name, tensor)

    monkeypatch.setattr(write.ShardWriter, "write", flaky)
    out = tmp_path / "out"
    exc = KeyboardInterrupt()
    result = invoke(cfg(linear(zoo)), out)
    assert result.exit_code == 130 and "interrupted" in result.output
    assert not out.exists() and not leftovers(tmp_path)
    calls["n"] = 0
    exc = write.MergeError("writing tensor x to y: No space left on device")
    result = invoke(cfg(linear(zoo)), out)
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert not out.exists() and not leftovers(tmp_path)


def test_pickle_inputs_need_allow_pickle(zoo, cfg, tmp_path, tensors_of):
    import torch
    import shutil

    folder = tmp_path / "pickled"
    folder.mkdir()
    shutil.copy(os.path.join(zoo.b, "config.json"), folder)
    torch.save(dict(tensors_of(zoo.b)), folder / "pytorch_model.bin")
    text = linear(zoo, zoo.a, folder)
    result = invoke(cfg(text), tmp_path / "out")
    assert result.exit_code == 1 and "--allow-pickle" in result.output
    assert invoke(cfg(text), tmp_path / "out", "--allow-pickle").exit_code == 0
    assert invoke(cfg(linear(zoo)), tmp_path / "ref").exit_code == 0
    a, b = tensors_of(str(tmp_path / "out")), tensors_of(str(tmp_path / "ref"))
    assert all(torch.equal(a[k], b[k]) for k in b)


def test_check_stays_torch_free(zoo, cfg):
    path = cfg(linear(zoo))
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from mergelint.cli import main\n"
        f"r = CliRunner().invoke(main, ['check', {str(path)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = [m for m in ('torch', 'safetensors', 'transformers', 'peft') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sigterm_leaves_nothing(zoo, cfg, tmp_path):
    """A real process killed mid-merge: the temporary folder goes, OUT never appears."""
    import signal
    import time

    text = linear(zoo)
    out = tmp_path / "out"
    slow = (
        "import time, merge_core.write as w\n"
        "real = w.ShardWriter.write\n"
        "def slow(self, *a):\n    time.sleep(0.2)\n    return real(self, *a)\n"
        "w.ShardWriter.write = slow\n"
        "from mergelint.cli import main\n"
        f"main(['run', {str(cfg(text))!r}, {str(out)!r}])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", slow], stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        time.sleep(0.05)
        if leftovers(tmp_path):
            break
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not out.exists() and not leftovers(tmp_path)


@pytest.mark.parametrize("template", ["{{ messages[0]['content'] }} -- literal template", "chatml"])
def test_chat_template_as_mergekit_sets_it(zoo, run_mergekit, run_mergelint, template):
    from transformers import AutoTokenizer

    text = linear(zoo) + f"chat_template: \"{template}\"\n"
    ours, theirs = run_mergelint(text), run_mergekit(text)
    assert AutoTokenizer.from_pretrained(ours).chat_template == AutoTokenizer.from_pretrained(theirs).chat_template
    assert AutoTokenizer.from_pretrained(ours).chat_template


def test_cuda_without_a_gpu_is_a_clear_error(zoo, cfg, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    result = invoke(cfg(linear(zoo)), tmp_path / "out", "--device", "cuda")
    assert result.exit_code == 1 and "no CUDA device" in result.output
    assert not (tmp_path / "out").exists() and not leftovers(tmp_path)


# mergekit-yaml's options on `mergelint run` (mergelint/mergekit_flags.py).

def _mergekit_option_strings():
    """Every option string mergekit-yaml 0.1.5 declares, read from its own decorator."""
    from mergekit.options import add_merge_options

    import click

    command = click.command()(add_merge_options(lambda merge_options: None))
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)}


def test_run_accepts_every_mergekit_yaml_option():
    run = main.commands["run"]
    ours = {o for p in run.params for o in (*p.opts, *p.secondary_opts)}
    theirs = _mergekit_option_strings()
    assert len(theirs) > 30 and not theirs - ours, sorted(theirs - ours)


def test_pasted_mergekit_flags_run_with_a_line_for_each_that_does_nothing(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = invoke(cfg(linear(zoo)), out, "--copy-tokenizer", "--lazy-unpickle", "--random-seed", "1",
                    "--trust-remote-code", "--low-cpu-memory", "--lora-merge-cache", tmp_path / "cache",
                    "--write-model-card", "--safe-serialization", "--out-shard-size", "1B", "--no-cuda", "-v")
    assert result.exit_code == 0, result.output
    ignored = [line for line in result.stderr.splitlines() if "has no effect here" in line]
    assert [line.split()[1] for line in ignored] == [
        "--lora-merge-cache", "--low-cpu-memory", "--trust-remote-code", "--lazy-unpickle"]
    assert "mergelint: --trust-remote-code has no effect here: mergelint never runs" in result.stderr
    assert "output tensors by linear" in result.stderr and "in 1 shard(s)" in result.stderr  # -v
    assert {"model.safetensors", "tokenizer.json", "README.md"} <= set(os.listdir(out))
    assert not (tmp_path / "cache").exists()


def test_no_copy_tokenizer_and_no_model_card(zoo, cfg, tmp_path):
    out = tmp_path / "out"
    result = invoke(cfg(linear(zoo)), out, "--no-copy-tokenizer", "--no-write-model-card")
    assert result.exit_code == 0, result.output
    written = set(os.listdir(out))
    assert "model.safetensors" in written and "config.json" in written
    assert not written & {"tokenizer.json", "tokenizer_config.json", "README.md", "mergekit_config.yml"}


def test_quiet_prints_only_what_matters(zoo, cfg, tmp_path):
    text = f"merge_method: linear\nmodels:\n  - model: {zoo.a}\n    parameters: {{weight: 0.5}}\n" \
           f"  - model: {zoo.b}\n    parameters: {{weight: 0.5}}\n"  # no base_model: a note
    loud = invoke(cfg(text), tmp_path / "loud", "--lazy-unpickle")
    assert loud.exit_code == 0 and "note: no base_model" in loud.stderr and "wrote" in loud.stderr
    quiet = invoke(cfg(text), tmp_path / "quiet", "--lazy-unpickle", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr
    warned = invoke(cfg(text + "output_dir: x\n"), tmp_path / "warned", "--quiet")  # a warning still shows
    assert warned.exit_code == 0 and "warning[unknown-key]" in warned.stderr


def test_random_seed_is_seed(zoo, cfg, tmp_path, tensors_of):
    text = (f"merge_method: dare_ties\nbase_model: {zoo.a}\nmodels:\n"
            f"  - model: {zoo.b}\n    parameters: {{weight: 1.0, density: 0.5}}\n")
    path = cfg(text)
    assert invoke(path, tmp_path / "seed", "--seed", "7").exit_code == 0
    assert invoke(path, tmp_path / "random-seed", "--random-seed", "7").exit_code == 0
    assert invoke(path, tmp_path / "other", "--random-seed", "8").exit_code == 0
    seed, random_seed = tensors_of(tmp_path / "seed"), tensors_of(tmp_path / "random-seed")
    other = tensors_of(tmp_path / "other")
    name = "model.layers.0.mlp.up_proj.weight"
    assert all(seed[k].equal(random_seed[k]) for k in seed) and not seed[name].equal(other[name])


def test_cuda_flag_is_device_cuda_and_an_explicit_device_wins(zoo, cfg, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    result = invoke(cfg(linear(zoo)), tmp_path / "out", "--cuda")
    assert result.exit_code == 1 and "no CUDA device" in result.output
    assert invoke(cfg(linear(zoo)), tmp_path / "cpu", "--cuda", "--device", "cpu").exit_code == 0
    assert invoke(cfg(linear(zoo)), tmp_path / "auto", "--device", "auto").exit_code == 0


def test_num_threads(zoo, cfg, tmp_path):
    import torch

    before = torch.get_num_threads()
    try:
        assert invoke(cfg(linear(zoo)), tmp_path / "out", "-j", "1").exit_code == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_out_shard_size_in_mergekit_syntax_shards_as_mergekit_does(zoo, cfg, tmp_path):
    # each tiny float32 model is about 60 kB: 20k splits it, 0 means one shard, as in mergekit
    assert invoke(cfg(linear(zoo)), tmp_path / "split", "--out-shard-size", "20k").exit_code == 0
    assert "model.safetensors.index.json" in os.listdir(tmp_path / "split")
    assert invoke(cfg(linear(zoo)), tmp_path / "one", "--out-shard-size", "0").exit_code == 0
    assert "model.safetensors" in os.listdir(tmp_path / "one")
    bad = invoke(cfg(linear(zoo)), tmp_path / "bad", "--out-shard-size", "5 parsecs")
    assert bad.exit_code == 2 and "not a size: '5 parsecs'" in bad.stderr and "mergekit's 5B" in bad.stderr


from hypothesis import given, strategies as st  # noqa: E402


@given(st.text(alphabet="0123456789kKmMbBgGiI +-_.", min_size=1, max_size=8))
def test_parse_size_reads_mergekits_syntax_as_mergekits_parser_does(text):
    from mergekit.common import parse_kmb

    from merge_core.write import NO_LIMIT, parse_size

    try:
        expected = parse_kmb(text)
    except ValueError:
        return  # mergekit refuses it; mergelint may read more (5GB, 2GiB, 1.5GB)
    assert parse_size(text) == (expected if expected > 0 else NO_LIMIT)


@pytest.mark.parametrize("text,size", [("1B", 10**9), ("500M", 5 * 10**8), ("5k", 5000), ("123", 123),
                                       ("5GB", 5 * 10**9), ("2GiB", 2 * 2**30), ("1.5GB", 15 * 10**8)])
def test_parse_size_examples(text, size):
    from mergekit.common import parse_kmb

    from merge_core.write import parse_size

    assert parse_size(text) == size
    if text[-1] in "BMk" and text[-2].isdigit() or text.isdigit():
        assert parse_kmb(text) == size
