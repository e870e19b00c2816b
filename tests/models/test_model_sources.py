"""Where facts come from: the Hub (through a stand-in client, no network), the CLI's working
directory, the language server's base folder, and `mergelint run`'s stricter verdicts."""

from __future__ import annotations

import hashlib
import os

import pytest
from click.testing import CliRunner

from merge_core.inspect import Inspector, hub
from merge_core.references import ModelPath
from mergelint.checker import check_source
from mergelint.cli import main
from mergelint.document import Source
from tiny_models import add_to_cache


class FakeHub:
    """The three Hub operations, served from local folders (same results, no network)."""

    def __init__(self, hub_cache, repos: dict, fail: dict | None = None):
        self.hub_cache = str(hub_cache)
        self.repos = {k: str(v) for k, v in repos.items()}
        self.fail = fail or {}
        self.calls: list[tuple] = []

    def commit(self, repo_id):
        return hashlib.sha1(repo_id.encode()).hexdigest()

    def repo_files(self, repo_id, revision):
        self.calls.append(("list", repo_id, revision))
        if repo_id in self.fail:
            raise hub.HubError(*self.fail[repo_id])
        folder = self.repos[repo_id]
        return self.commit(repo_id), {n: os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder)}

    def download(self, repo_id, filename, revision):
        self.calls.append(("download", repo_id, filename))
        add_to_cache(self.hub_cache, repo_id, {filename: os.path.join(self.repos[repo_id], filename)}, revision or "main", self.commit(repo_id))
        return os.path.join(self.hub_cache, "models--" + repo_id.replace("/", "--"), "snapshots", self.commit(repo_id), filename)

    def read_range(self, repo_id, filename, commit, start, end):
        self.calls.append(("range", repo_id, filename))
        with open(os.path.join(self.repos[repo_id], filename), "rb") as f:
            f.seek(start)
            return f.read(end - start + 1)


@pytest.fixture
def online(models, tmp_path):
    hub.reset()
    fake = FakeHub(
        tmp_path / "hub",
        {"org/remote-llama": models.root / "llama-b", "org/remote-lora": models.root / "lora-a", "org/lying": models.root / "bad" / "terabyte-tensor"},
        {"org/private": ("not-found", "no such repository on the Hub (or it is private and no token is set)"),
         "org/far-away": ("unreachable", "could not reach the Hub (ConnectError)")},
    )

    def inspector(is_online=True):
        return Inspector(str(models.root), is_online, hub_cache=str(tmp_path / "hub"), cache_dir=str(tmp_path / "ml"), hub_client=fake, env={})

    yield fake, inspector
    hub.reset()


def test_online_reads_config_and_headers_only(models, online):
    fake, inspector = online
    res = inspector().resolve("org/remote-llama")
    assert res.ok and res.facts.where == "hub"
    local = models.inspector().resolve("llama-b").facts
    assert {n: t.shape for n, t in res.facts.tensors.items()} == {n: t.shape for n, t in local.tensors.items()}
    assert res.facts.size_bytes == local.size_bytes and res.facts.num_layers == 4
    downloads = sorted(c[2] for c in fake.calls if c[0] == "download")
    assert downloads == ["config.json", "model.safetensors.index.json"]
    ranges = [c[2] for c in fake.calls if c[0] == "range"]
    assert sorted(set(ranges)) == sorted(local.weight_files)  # one header read per shard, nothing else
    # Offline afterwards: the JSON files are in the Hugging Face cache, the headers in mergelint's.
    again = inspector(False).resolve("org/remote-llama")
    assert again.ok and again.facts.where == "cache" and again.facts.tensors == res.facts.tensors
    # Within a few minutes, the revision is not asked for again.
    listed = sum(1 for c in fake.calls if c[0] == "list")
    inspector().resolve("org/remote-llama")
    assert sum(1 for c in fake.calls if c[0] == "list") == listed


def test_online_adapter(models, online):
    _, inspector = online
    facts = inspector().resolve("org/remote-lora").facts
    assert facts.is_adapter_only and facts.adapter.rank == 4 and len(facts.adapter.tensors) == 16


def test_online_header_that_lies(models, online):
    _, inspector = online
    facts = inspector().resolve("org/lying").facts
    assert facts.tensors is None and "claims 1.0 TB" in facts.problems[0][1]


def test_online_failures_are_diagnostics(models, online):
    fake, inspector = online
    text = (
        "merge_method: linear\nmodels:\n"
        "  - model: org/private\n    parameters: {weight: 0.5}\n"
        "  - model: org/far-away\n    parameters: {weight: 0.5}\n"
    )
    found = check_source(Source(text, "c.yml"), inspector=inspector())
    assert [(d.rule, d.severity, d.range.start.line) for d in found] == [
        ("model-not-found", "warning", 2),
        ("model-not-found", "info", 4),
    ]
    assert "private" in found[0].message and "could not reach the Hub" in found[1].message
    # Once the Hub is out of reach, other models do not wait for it again.
    calls = len(fake.calls)
    res = inspector().resolve("org/remote-llama")
    assert res.status == "unreachable" and len(fake.calls) == calls


def test_online_lora_check_end_to_end(models, online):
    _, inspector = online
    text = "merge_method: passthrough\nmodels:\n  - model: org/remote-llama+org/remote-lora\n"
    (d,) = check_source(Source(text, "c.yml"), inspector=inspector())
    assert d.rule == "lora-base-mismatch" and d.severity == "warning"  # trained on llama-a, same shapes


# -- the working directory, the server's base folder, and `run` ------------------------

CONFIG = "merge_method: passthrough\nmodels:\n  - model: ./llama-a+./lora-wide\n"


def test_cli_resolves_relative_paths_from_the_working_directory(models, tmp_path, monkeypatch):
    (tmp_path / "merge.yml").write_text(CONFIG)
    monkeypatch.setenv("HF_HUB_CACHE", str(models.hub))
    monkeypatch.chdir(models.root)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "merge.yml")])
    assert result.exit_code == 1 and "error[lora-base-mismatch]" in result.output, result.output
    monkeypatch.chdir(tmp_path)  # elsewhere the models are not there: a warning, exit 0
    result = CliRunner().invoke(main, ["check", "merge.yml"])
    assert result.exit_code == 0 and "warning[model-not-found]" in result.output, result.output


def test_cli_reads_the_hugging_face_cache(models, tmp_path, monkeypatch):
    (tmp_path / "merge.yml").write_text(
        "merge_method: passthrough\nslices:\n  - sources:\n      - model: org/llama-a\n        layer_range: [0, 8]\n"
    )
    monkeypatch.setenv("HF_HUB_CACHE", str(models.hub))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--format", "json", "merge.yml"])
    assert result.exit_code == 1 and '"rule": "layer-range"' in result.output, result.output


def test_base_dir_for_the_language_server(models, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(models.hub))
    found = check_source(Source(CONFIG, "merge.yml"), base_dir=str(models.root))
    assert [d.rule for d in found] == ["lora-base-mismatch"]


def test_run_is_stricter(models):
    text = (
        "merge_method: linear\nmodels:\n"
        "  - model: ./not-here\n    parameters: {weight: 0.5}\n"
        "  - model: ./llama-a+./dora\n    parameters: {weight: 0.5}\n"
    )
    check = check_source(Source(text, "c.yml"), inspector=models.inspector())
    run = check_source(Source(text, "c.yml"), inspector=models.inspector(), for_run=True)
    assert [(d.rule, d.severity) for d in check] == [("model-not-found", "warning"), ("lora-unsupported", "warning")]
    assert [(d.rule, d.severity) for d in run] == [("model-not-found", "error"), ("lora-unsupported", "error")]


def test_revision_in_a_reference(models):
    inspector = models.inspector()
    assert inspector.resolve(ModelPath("org/llama-a", "v1")).facts.num_layers == 2
