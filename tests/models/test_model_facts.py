"""merge_core.inspect: facts read from the models' own files, checked against torch and safetensors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest
from safetensors import safe_open

from merge_core.inspect import Inspector, describe, files, folder_facts, lora_fit
from merge_core.references import ModelPath
from mergelint.checker import check_source
from mergelint.document import Source
from mergelint.settings import Settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def resolve(models, path, revision=None):
    res = models.inspector().resolve(ModelPath(path, revision))
    assert res.ok, (res.status, res.message)
    return res.facts


def reference_shapes(path: str) -> dict:
    """Names and shapes as the safetensors library itself reads them."""
    with safe_open(path, "np") as f:
        return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}


def test_model_facts_match_what_torch_saved(models):
    facts = resolve(models, "llama-a")
    saved = models.manifest["models"]["llama-a"]
    assert facts.architectures == ["LlamaForCausalLM"] and facts.model_type == "llama"
    assert facts.layer_count == (4, "num_hidden_layers")
    assert (facts.hidden_size, facts.intermediate_size, facts.num_attention_heads, facts.num_key_value_heads) == (32, 64, 4, 2)
    assert facts.vocab_rows == facts.config_vocab_size == 128
    assert {n: list(t.shape) for n, t in facts.tensors.items()} == saved["tensors"]
    assert facts.parameter_count == saved["parameters"]
    assert facts.dtype == "F32" and facts.weight_format == "safetensors"
    assert facts.size_bytes == os.path.getsize(models.root / "llama-a" / "model.safetensors")
    assert facts.quantization is None and facts.auto_map is None and facts.problems == []


def test_headers_agree_with_the_safetensors_library(models):
    for name in ("llama-a", "mistral", "phi3", "lora-a", "dora", "lora-vocab"):
        folder = models.root / name
        facts = resolve(models, name)
        target = facts.adapter.tensors if facts.adapter else facts.tensors
        file = "adapter_model.safetensors" if facts.adapter else "model.safetensors"
        assert {n: t.shape for n, t in target.items()} == reference_shapes(str(folder / file)), name


def test_sharded_checkpoint_reads_every_shard(models):
    single, sharded = resolve(models, "llama-a"), resolve(models, "llama-b")
    assert len(sharded.weight_files) > 2 and all(f.startswith("model-") for f in sharded.weight_files)
    assert {n: t.shape for n, t in sharded.tensors.items()} == {n: t.shape for n, t in single.tensors.items()}
    assert sharded.size_bytes == sum(os.path.getsize(models.root / "llama-b" / f) for f in sharded.weight_files)
    assert sharded.parameter_count == models.manifest["models"]["llama-b"]["parameters"]


def test_adapter_facts(models):
    facts = resolve(models, "lora-a")
    adapter = facts.adapter
    assert facts.is_adapter_only and not facts.is_model
    assert (adapter.base_model, adapter.peft_type, adapter.rank, adapter.alpha, adapter.scaling) == ("llama-a", "LORA", 4, 8, 2.0)
    assert sorted(adapter.target_modules) == ["q_proj", "v_proj"] and not adapter.use_dora
    a = adapter.tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"]
    b = adapter.tensors["base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"]
    assert a.shape == (4, 32) and b.shape == (16, 4)  # v_proj: 2 KV heads of 8
    assert resolve(models, "dora").adapter.use_dora
    assert resolve(models, "lora-vocab").adapter.modules_to_save == ["lm_head"]
    assert resolve(models, "ia3").adapter.peft_type == "IA3"


def test_lora_fit(models):
    base = resolve(models, "llama-a")
    adapter = lambda name: resolve(models, name).adapter  # noqa: E731
    assert lora_fit(base, adapter("lora-a")).fits
    assert lora_fit(base, adapter("lora-b")).fits  # another model of the same shape
    assert lora_fit(base, adapter("dora")).fits
    wide = lora_fit(base, adapter("lora-wide"))
    assert wide.fails and len(wide.conflicts) == 8
    assert lora_fit(base, adapter("lora-phi")).no_target_matches == ["qkv_proj"]
    assert lora_fit(base, adapter("lora-vocab")).conflicts[0].startswith("lm_head.weight")
    dropped = lora_fit(resolve(models, "llama-2layer"), adapter("lora-deep"))
    assert not dropped.fails and len(dropped.missing) == 4
    assert lora_fit(base, adapter("ia3")) is None  # not a LoRA: not compared
    assert lora_fit(resolve(models, "llama-pickled"), adapter("lora-a")) is None  # no tensor facts


def test_describe_for_hover(models):
    text = describe(resolve(models, "llama-b"))
    for part in ("**LlamaForCausalLM** (llama)", "Layers: 4 (`num_hidden_layers`)", "Hidden size 32, 4 heads (2 KV)",
                 "Vocabulary: 128", "F32", "45.3K parameters", "KB on disk (safetensors, 12 files)"):
        assert part in text, (part, text)
    text = describe(resolve(models, "lora-a"))
    for part in ("**LoRA adapter** · base `llama-a`", "rank 4, alpha 8, scaling 2", "Targets: q_proj, v_proj"):
        assert part in text, (part, text)
    assert "**DoRA adapter**" in describe(resolve(models, "dora"))
    assert "Quantized: bitsandbytes 4-bit" in describe(resolve(models, "llama-4bit"))
    assert "--trust-remote-code" in describe(resolve(models, "llama-remote-code"))
    assert "never unpickles" in describe(resolve(models, "llama-pickled"))



# -- the Hugging Face cache -------------------------------------------------------

def test_hub_cache_revisions(models):
    commits = models.manifest["hub"]["commits"]
    main = resolve(models, "org/llama-a")
    assert (main.where, main.commit, main.num_layers) == ("cache", commits["org/llama-a"], 4)
    assert main.tensors is not None and main.parameter_count == models.manifest["models"]["llama-a"]["parameters"]
    tag = resolve(models, "org/llama-a", "v1")
    assert (tag.commit, tag.num_layers) == (commits["org/llama-a@v1"], 2)
    assert resolve(models, "org/llama-a", commits["org/llama-a@v1"]).num_layers == 2  # by commit hash
    missing = models.inspector().resolve(ModelPath("org/llama-a", "no-such-branch"))
    assert missing.status == "not-cached"
    only_config = resolve(models, "org/config-only")
    assert only_config.num_layers == 4 and only_config.tensors is None and not only_config.has_weights


@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME"])
def test_cache_location_from_the_environment(models, variable):
    value = str(models.hub) if variable != "HF_HOME" else str(models.hub.parent)
    if variable == "HF_HOME":  # HF_HOME/hub is the cache
        assert models.hub.name == "hub"
    inspector = Inspector(str(models.root), env={variable: value})
    assert inspector.resolve("org/llama-a").ok


def test_hf_hub_offline_wins_over_online(models, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("went online")

    monkeypatch.setattr("merge_core.inspect.hub.HubClient", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(models.hub))
    source = Source("merge_method: passthrough\nmodels:\n  - model: org/elsewhere\n", "c.yml")
    (d,) = check_source(source, Settings(online=True), base_dir=str(models.root))
    assert d.rule == "model-not-found" and d.severity == "info" and "HF_HUB_OFFLINE is set" in d.message
    assert "--online" not in d.message


# -- caching ------------------------------------------------------------------------

def test_facts_are_cached_per_file(models, tmp_path, monkeypatch):
    folder = tmp_path / "copy"
    shutil.copytree(models.root / "llama-b", folder)
    files.clear()
    folder_facts._FOLDERS.clear()
    calls = {"header": 0, "json": 0}
    real_header, real_json = files.read_header, files._load_json

    def header(path):
        calls["header"] += 1
        return real_header(path)

    def load_json(path, size):
        calls["json"] += 1
        return real_json(path, size)

    monkeypatch.setattr(files, "read_header", header)
    monkeypatch.setattr(files, "_load_json", load_json)
    inspector = Inspector(str(tmp_path), env={})
    first = inspector.resolve("copy").facts
    shards = len(first.weight_files)
    assert calls == {"header": shards, "json": 2}  # config.json and the index
    assert inspector.resolve("copy").facts is first
    assert calls == {"header": shards, "json": 2}
    # Change one file: only that file is read again.
    config = folder / "config.json"
    data = json.loads(config.read_text())
    data["num_hidden_layers"] = 3
    config.write_text(json.dumps(data))
    stat = os.stat(config)
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = inspector.resolve("copy").facts
    assert again.num_layers == 3
    assert calls == {"header": shards, "json": 3}


# -- bad input -------------------------------------------------------------------------

def test_bad_files_name_the_file_and_the_problem(models):
    cases = {
        "bad/truncated": ("model.safetensors", "truncated or corrupt"),
        "bad/terabyte-tensor": ("model.safetensors", "claims 1.0 TB"),
        "bad/header-length": ("model.safetensors", "the header claims"),
        "bad/not-json": ("config.json", "not valid JSON"),
        "bad/fifo": ("config.json", "not a regular file"),
        "bad/dir-config": ("config.json", "a directory, not a file"),
        "bad/missing-shard": ("model-00002-of-00012.safetensors", "missing"),
        "org/loop": ("config.json", "symbolic link loop"),
    }
    for path, (name, text) in cases.items():
        facts = resolve(models, path)
        assert [n for n, _ in facts.problems] == [name], path
        assert text in facts.problems[0][1], (path, facts.problems)


def test_broken_cache_entries(models):
    inspector = models.inspector()
    loop = inspector.resolve("org/loop-snapshot")
    assert loop.status == "unreadable" and loop.message.endswith("a symbolic link loop")
    bad_ref = inspector.resolve("org/bad-ref")
    assert bad_ref.status == "unreadable" and "does not hold a commit hash" in bad_ref.message
    source = Source("merge_method: passthrough\nmodels:\n  - model: org/loop-snapshot\n", "c.yml")
    (d,) = check_source(source, inspector=inspector)
    assert (d.rule, d.severity) == ("model-not-found", "warning") and "symbolic link loop" in d.message


def test_a_fifo_never_blocks(models):
    result = []
    thread = threading.Thread(target=lambda: result.append(resolve(models, "bad/fifo")), daemon=True)
    thread.start()
    thread.join(10)
    assert result, "reading a FIFO named config.json hung"


def test_no_code_is_run_and_no_pickle_opened(models):
    source = Source(
        "merge_method: linear\nmodels:\n"
        "  - model: ./llama-remote-code\n    parameters: {weight: 0.5}\n"
        "  - model: ./llama-pickled\n    parameters: {weight: 0.5}\n",
        "c.yml",
    )
    found = check_source(source, inspector=models.inspector())
    assert {d.rule for d in found} == {"needs-trust-remote-code", "model-files-unreadable"}
    for folder in ("llama-remote-code", "llama-pickled"):
        assert not (models.root / folder / "code-was-run.marker").exists()


def test_unusual_paths_do_not_crash(models):
    inspector = models.inspector()
    for path in ("\x00", "a" * 5000, "/" + "x/" * 2000, "C:\\models\\x", "org/na me", "..", "~nobody/x", "bad/fifo/config.json"):
        res = inspector.resolve(path)
        assert res.status in ("missing", "invalid", "not-a-model", "not-cached", "unreadable"), (path, res)


def test_check_imports_no_torch(models):
    """A check that exercises every model rule imports none of torch, transformers, peft, huggingface_hub."""
    configs = sorted(p for p in (os.path.join(os.path.dirname(__file__), "golden", n) for n in os.listdir(
        os.path.join(os.path.dirname(__file__), "golden"))) if p.endswith(".yml"))
    code = (
        "import sys, json\n"
        "from mergelint.checker import check_source, read_source\n"
        "from merge_core.inspect import Inspector\n"
        f"inspector = Inspector({str(models.root)!r}, hub_cache={str(models.hub)!r}, env={{}})\n"
        "n = sum(len(check_source(read_source(p), inspector=inspector)) for p in sys.argv[1:])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'peft', 'huggingface_hub', 'safetensors', 'numpy'))\n"
        "print(json.dumps([n, heavy]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *configs], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    count, heavy = json.loads(done.stdout)
    assert count > 40 and heavy == []
