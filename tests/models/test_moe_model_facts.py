"""The moe rules that read model files agree with mergekit-moe on the same tiny folders: the output
architecture it selects (or its refusal), and whether the base tokenizer can tokenize gate prompts."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from mergelint.checker import check_source
from mergelint.document import Source
from mergelint.settings import Settings

GOLDEN = Path(__file__).resolve().parent / "golden"


def _select(models, monkeypatch, name: str):
    from mergekit.merge import MergeOptions
    from mergekit.moe.config import MoEMergeConfig
    from mergekit.scripts.moe import select_output_arch

    monkeypatch.chdir(models.root)  # the configs name the folders relative to it, as mergekit resolves them
    config = MoEMergeConfig.model_validate(yaml.safe_load((GOLDEN / name).read_text()))
    logging.disable(logging.CRITICAL)
    try:
        return select_output_arch(config, MergeOptions())
    finally:
        logging.disable(logging.NOTSET)


def _architecture(models, name: str) -> list:
    text = (GOLDEN / name).read_text()
    found = check_source(Source(text, name), Settings(select=("moe-architecture",)), inspector=models.inspector())
    return [(d.severity, d.message) for d in found]


def test_the_chosen_architecture_is_mergekits(models, monkeypatch):
    chosen = _select(models, monkeypatch, "moe-architecture--chosen.yml")
    ((severity, message),) = _architecture(models, "moe-architecture--chosen.yml")
    assert severity == "info" and f"build a {chosen.name()} model" in message


def test_no_architecture_where_mergekit_finds_none(models, monkeypatch):
    with pytest.raises(SystemExit):
        _select(models, monkeypatch, "moe-architecture--model-types.yml")
    ((severity, message),) = _architecture(models, "moe-architecture--model-types.yml")
    assert severity == "error" and "No output architecture found that is compatible" in message


@pytest.mark.parametrize("base, fails", [("llama-no-specials", True), ("llama-tok", False)])
def test_gate_prompts_fail_to_tokenize_where_mergekit_fails(models, base, fails):
    import transformers
    from mergekit.moe.router import tokenize_prompts

    tokenizer = transformers.AutoTokenizer.from_pretrained(str(models.root / base))
    tokenizer.pad_token_id = tokenizer.bos_token_id  # as mergekit-moe's build() sets it
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    try:
        tokenize_prompts(["w3 w4", "w5"], tokenizer)
        failed = False
    except ValueError:
        failed = True
    text = (GOLDEN / "moe-gate-tokenizer.yml").read_text().replace("./llama-no-specials", f"./{base}")
    found = check_source(Source(text), Settings(select=("moe-gate-tokenizer",)), inspector=models.inspector())
    assert failed == fails == bool(found)


def test_the_model_file_rules_read_a_moe_configs_models(models):
    text = ("base_model: ./llama-a\ngate_mode: random\nexperts:\n  - source_model: ./bad/truncated\n"
            "  - source_model: ./llama-remote-code\n  - source_model: ./nowhere\n")
    found = check_source(Source(text), Settings(), inspector=models.inspector())
    rules = {(d.rule, d.range.start.line) for d in found}
    assert {("model-files-unreadable", 3), ("needs-trust-remote-code", 4), ("model-not-found", 5)} <= rules


def test_a_special_tokens_map_gives_the_eos_token_as_transformers_reads_it(models, tmp_path):
    """Older transformers wrote BOS/EOS to special_tokens_map.json only: it counts where tokenizer_config.json is silent."""
    import json
    import shutil

    import transformers

    base = tmp_path / "base"
    shutil.copytree(models.root / "llama-no-specials", base)
    (base / "special_tokens_map.json").write_text(json.dumps({"eos_token": "</s>"}))
    assert transformers.AutoTokenizer.from_pretrained(str(base)).eos_token == "</s>"
    text = (GOLDEN / "moe-gate-tokenizer.yml").read_text().replace("./llama-no-specials", str(base))
    assert check_source(Source(text), Settings(select=("moe-gate-tokenizer",)), inspector=models.inspector()) == []
