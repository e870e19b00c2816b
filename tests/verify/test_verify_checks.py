"""Each check of `mergelint verify` over a real tiny model broken in exactly that one way,
and the healthy models (single-file, tied, bf16, sharded, a merge output) with no finding."""

from __future__ import annotations

import json
import math
import os
import re

import pytest
from verify_support import edit_config, edit_tensors, merge_models, tiny_models, torch

from merge_core.verify import CHECKS, verify


def found(folder) -> list[tuple[str, str, str]]:
    report = verify(str(folder))
    return [(f.check.name, f.file, f.message) for f in report.findings]


def names(folder) -> list[str]:
    return [name for name, _, _ in found(folder)]


@pytest.mark.parametrize("kind", ["untied", "tied", "bf16", "sharded", "merged"])
def test_healthy_models_give_no_finding(healthy, kind):
    report = verify(getattr(healthy, kind))
    assert report.findings == []
    assert report.usable and report.tensors > 30 and report.bytes_read > 0


def test_codes_and_names_are_unique_and_documented():
    assert len({c.code for c in CHECKS}) == len({c.name for c in CHECKS}) == len(CHECKS)
    assert all(c.docs.startswith("## What it does") and "## Why is this bad?" in c.docs for c in CHECKS)


def test_nonfinite_names_the_tensor_and_counts(broken):
    folder = broken()

    def poison(t):
        w = t["model.layers.1.mlp.up_proj.weight"]
        w.view(-1)[:3] = math.nan
        w.view(-1)[3:5] = math.inf
        w.view(-1)[5] = -math.inf

    edit_tensors(folder, poison)
    assert found(folder) == [("nonfinite-values", "model.safetensors",
                              "model.layers.1.mlp.up_proj.weight holds 3 NaN, 2 +Inf, 1 -Inf of 2048 values "
                              "(an overflow: merge in float32 or bfloat16)")]


def test_nonfinite_in_bf16(broken):
    folder = broken("bf16")
    edit_tensors(folder, lambda t: t["model.norm.weight"].fill_(math.inf))
    assert names(folder) == ["nonfinite-values"]


def test_layers_missing_against_num_hidden_layers(broken):
    folder = broken()
    edit_config(folder, num_hidden_layers=6)
    [(name, file, message)] = found(folder)
    assert (name, file) == ("missing-tensors", "config.json")
    assert "num_hidden_layers is 6" in message and "layer(s) 4-5" in message and "present: 0-3" in message


def test_layers_past_num_hidden_layers(broken):
    folder = broken()
    edit_config(folder, num_hidden_layers=3)
    [(name, _, message)] = found(folder)
    assert name == "missing-tensors" and "layer(s) 3 of model.layers.N too" in message


def test_a_layer_missing_a_projection_its_siblings_have(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t.pop("model.layers.2.mlp.down_proj.weight"))
    assert found(folder) == [("missing-tensors", "model.safetensors",
                              "layer model.layers.2 lacks mlp.down_proj.weight, which 3 other layer(s) of that stack have")]


def test_untied_head_missing(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t.pop("lm_head.weight"))
    [(name, file, message)] = found(folder)
    assert (name, file) == ("lm-head-tie", "config.json") and "random weights" in message


def test_tied_head_stored_but_ignored(broken):
    folder = broken()
    edit_config(folder, tie_word_embeddings=True)
    report = verify(str(folder))
    [f] = report.findings
    assert (f.check.name, f.severity) == ("lm-head-tie", "warning") and "ignores this tensor" in f.message


def test_vocab_size_against_embedding_rows(broken):
    folder = broken()
    edit_config(folder, vocab_size=70)
    [(name, file, message)] = found(folder)
    assert (name, file) == ("vocab-size", "config.json")
    assert message.startswith("vocab_size is 70 but model.embed_tokens.weight has 64 rows")


def test_tokenizer_with_added_tokens_past_the_embedding(broken):
    folder = broken()
    merge_models.make_tokenizer(folder, 64, added=[f"<|fim_{i}|>" for i in range(4)])
    [(name, file, message)] = found(folder)
    assert (name, file) == ("vocab-size", "tokenizer.json")
    assert "the tokenizer has 68 tokens" in message and "64 rows" in message


def test_a_padded_embedding_is_not_reported(broken):
    """More rows than tokens (vocabularies padded to a multiple of 64) is normal."""
    folder = broken()
    merge_models.make_tokenizer(folder, 60)
    assert found(folder) == []


def test_shapes_against_config(broken):
    folder = broken()
    edit_config(folder, intermediate_size=48)
    found_ = found(folder)
    assert {n for n, _, _ in found_} == {"shape-mismatch"} and len(found_) == 12  # gate, up, down x 4 layers
    assert ("model.layers.0.mlp.down_proj.weight has shape [32, 64] but config.json's hidden_size 32 and "
            "intermediate_size 48 make [32, 48]: it does not load") in [m for _, _, m in found_]


def test_outlier_norm_says_how_far(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t["model.layers.2.mlp.down_proj.weight"].mul_(10))
    [(name, _, message)] = found(folder)
    assert name == "norm-outlier"
    assert message.startswith("model.layers.2.mlp.down_proj.weight has norm")
    ratio = float(re.search(r", ([0-9.]+)x the median .* of model.layers.N.mlp.down_proj.weight in the other 3 layers",
                            message).group(1))
    assert 9 < ratio < 11


def test_outlier_zeroed_tensor(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t["model.layers.0.self_attn.o_proj.weight"].zero_())
    [(name, _, message)] = found(folder)
    assert name == "norm-outlier" and "all zeros" in message


def test_modest_differences_between_layers_are_not_outliers(broken):
    folder = broken()
    edit_tensors(folder, lambda t: t["model.layers.2.mlp.down_proj.weight"].mul_(2.5))
    assert found(folder) == []


def _index(folder):
    return json.loads((folder / "model.safetensors.index.json").read_text())


def _write_index(folder, index):
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))


def test_index_leaves_a_tensor_out(broken):
    folder = broken("sharded")
    index = _index(folder)
    del index["weight_map"]["model.layers.1.mlp.up_proj.weight"]
    _write_index(folder, index)
    [(name, file, message)] = found(folder)
    assert (name, file) == ("index-mismatch", "model.safetensors.index.json") and "never loads them" in message


def test_index_maps_a_tensor_to_the_wrong_shard(broken):
    folder = broken("sharded")
    index = _index(folder)
    shards = sorted(set(index["weight_map"].values()))
    name = next(t for t, s in index["weight_map"].items() if s == shards[0])
    index["weight_map"][name] = shards[1]
    _write_index(folder, index)
    assert found(folder) == [("index-mismatch", "model.safetensors.index.json",
                              f"model.safetensors.index.json maps 1 tensor(s) to shards that do not hold them, e.g. "
                              f"{name} to {shards[1]}")]


def test_stray_shard_beside_the_index(broken):
    folder = broken("sharded")
    first = sorted(set(_index(folder)["weight_map"].values()))[0]
    (folder / "model-extra.safetensors").write_bytes((folder / first).read_bytes())
    result = found(folder)
    assert ("index-mismatch", "model-extra.safetensors",
            "model-extra.safetensors is not in model.safetensors.index.json: transformers never reads it") in result


def test_sharded_model_missing_a_layer_projection(broken):
    """The layer checks see the tensors of every shard together."""
    folder = broken("sharded")
    index = _index(folder)
    shard = index["weight_map"]["model.layers.3.self_attn.k_proj.weight"]
    edit_tensors(folder, lambda t: t.pop("model.layers.3.self_attn.k_proj.weight"), shard)
    del index["weight_map"]["model.layers.3.self_attn.k_proj.weight"]
    _write_index(folder, index)
    assert names(folder) == ["missing-tensors"]


def test_one_tensor_at_a_time(healthy, monkeypatch):
    """Every tensor's pages are released before the next tensor is read."""
    from merge_core.checkpoint import SafetensorsFile

    events = []
    view, release = SafetensorsFile.view, SafetensorsFile.release
    monkeypatch.setattr(SafetensorsFile, "view", lambda self, info: events.append(("view", info.name)) or view(self, info))
    monkeypatch.setattr(SafetensorsFile, "release",
                        lambda self, info: events.append(("release", info.name)) or release(self, info))
    verify(healthy.sharded)
    assert events and all(events[i][0] == "view" and events[i + 1] == ("release", events[i][1])
                          for i in range(0, len(events), 2))
    assert torch is not None


def test_docs_list_every_check():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "verify.md").read_text()
    assert all(f"### {c.name} ({c.code}, {c.severity})" in text for c in CHECKS)


def test_docs_are_the_checks_docstrings():
    from pathlib import Path

    from merge_core.verify.docs import render

    text = (Path(__file__).resolve().parents[2] / "docs" / "verify.md").read_text()
    assert render(CHECKS) in text  # one source: edit the check module's docstring, then paste render(CHECKS)


def test_files_the_inputs_had_and_the_output_lost(broken):
    folder = broken("merged")
    (folder / "generation_config.json").unlink()
    (folder / "tokenizer.json").unlink()
    found_ = found(folder)
    assert [(n, f) for n, f, _ in found_] == [("files-lost", ""), ("files-lost", "")]
    assert found_[0][2].endswith("has a tokenizer but the output has none: the output cannot be used without one")
    assert "has a generation_config.json but the output has none" in found_[1][2]


def test_chat_template_the_inputs_had_and_the_output_lost(healthy, tmp_path):
    import shutil

    from merge_core.run import Options, run_merge

    chat = tmp_path / "chat"
    shutil.copytree(healthy.untied, chat)
    (chat / "chat_template.jinja").write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    out = tmp_path / "out"
    run_merge(f"merge_method: linear\nmodels:\n  - model: {chat}\n    parameters: {{weight: 0.5}}\n"
              f"  - model: {healthy.bf16}\n    parameters: {{weight: 0.5}}\n", str(out), Options())
    assert found(out) == []
    (out / "chat_template.jinja").unlink()
    assert found(out) == [("files-lost", "", f"{chat} has a chat template but the output has none: a chat model "
                                                "would be prompted with plain text")]


def test_compare_with_itself_and_with_another_model(healthy, broken):
    assert verify(healthy.untied, compare=healthy.sharded).findings == []  # same tensors, other files
    folder = broken()
    edit_tensors(folder, lambda t: (t["model.norm.weight"].add_(0.5), t.pop("model.layers.0.mlp.up_proj.weight")))
    found_ = [(f.check.name, f.severity, f.message) for f in verify(str(folder), compare=healthy.untied).findings]
    assert ("differs-from-reference", "warning", f"model.norm.weight differs from {healthy.untied}: max |diff| 0.5, "
            "max relative") in [(n, s, m.split(" 0.5, max relative")[0] + " 0.5, max relative") for n, s, m in found_]
    assert ("differs-from-reference", "error", f"model.layers.0.mlp.up_proj.weight of {healthy.untied} is missing "
            "here") in found_
    assert verify(str(folder), compare=healthy.untied, atol=1.0).findings[-1].severity == "error"  # only the missing


def test_compare_with_mergekit_output_of_the_same_config(healthy, tmp_path, monkeypatch):
    """mergelint's linear merge and mergekit 0.1.5's are the same tensors."""
    mergekit = pytest.importorskip("mergekit")
    import yaml
    from mergekit.config import MergeConfiguration
    from mergekit.merge import MergeOptions, run_merge as mergekit_merge

    from merge_core.run import Options, run_merge

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    config = (f"merge_method: linear\nmodels:\n  - model: {healthy.untied}\n    parameters: {{weight: 0.3}}\n"
              f"  - model: {healthy.bf16}\n    parameters: {{weight: 0.7}}\ndtype: float32\n")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    run_merge(config, str(ours), Options())
    mergekit_merge(MergeConfiguration.model_validate(yaml.safe_load(config)), str(theirs),
                   MergeOptions(quiet=True, copy_tokenizer=True, write_model_card=False))
    assert mergekit is not None and verify(str(ours), compare=str(theirs)).findings == []
    assert verify(str(theirs)).findings == []  # mergekit's output is healthy too: no false alarm


def test_files_lost_against_hub_inputs_in_the_hugging_face_cache(healthy, broken, tmp_path, monkeypatch):
    cache = str(tmp_path / "hub")
    tiny_models.add_to_cache(cache, "org/tiny-untied", tiny_models.folder_files(healthy.untied))
    folder = broken("merged")
    (folder / "mergekit_config.yml").write_text("merge_method: linear\nmodels:\n  - model: org/tiny-untied\n"
                                               "    parameters: {weight: 1.0}\n")
    monkeypatch.setenv("HF_HUB_CACHE", cache)
    assert names(folder) == []  # the output has what the cached input has
    (folder / "generation_config.json").unlink()
    snapshot = os.path.join(cache, "models--org--tiny-untied", "snapshots")
    [(name, _, message)] = found(folder)
    assert name == "files-lost" and message.startswith(snapshot)
    assert message.endswith("has a generation_config.json but the output has none: it generates with the "
                            "library's defaults")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty"))
    assert names(folder) == []  # not in the cache: skipped
