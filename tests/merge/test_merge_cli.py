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


@pytest.fixture
def cfg(tmp_path):
    def write(text, name="merge.yml"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


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
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("x")
    result = invoke(cfg(linear(zoo)), out)
    assert result.exit_code == 1 and "--force" in result.output
    assert (out / "keep").exists()
    result = invoke(cfg(linear(zoo)), out, "--force")
    assert result.exit_code == 0, result.output
    assert not (out / "keep").exists() and (out / "model.safetensors").exists()
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
