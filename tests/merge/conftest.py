"""Tiny real checkpoints for the merge tests, made once per session with fixed seeds.

Llama-style models (transformers, random weights, 4 layers, hidden 32), a bf16 copy,
a GPT-2 (Conv1D, tied embeddings), LoRA adapters made with peft, and a tokenizer.
Every tensor is drawn from a seeded generator so norms and biases differ between
models too (task vectors are never all zero).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
pytest.importorskip("transformers")

LAYERS = 4


def _perturb(model, seed: int, std: float = 0.1) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * std + (1.0 if p.dim() == 1 else 0.0))


def make_llama(path: Path, seed: int, *, dtype=None, vocab: int = 64, layers: int = LAYERS, tied: bool = False,
               tokenizer: bool = True) -> str:
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_attention_heads=4,
                      num_key_value_heads=2, num_hidden_layers=layers, tie_word_embeddings=tied)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    _perturb(model, seed)
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(path)
    if tokenizer:
        make_tokenizer(path, vocab)
    return str(path)


def make_tokenizer(path: Path, vocab: int, base: int | None = None, special=(), added=()) -> None:
    """A BPE tokenizer of `base` (default: `vocab`) tokens, then special and added tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for i in range(3, base or vocab):
        words[f"_tok_{i}"] = i
    tok = Tokenizer(models.BPE(vocab=words, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    if special:
        fast.add_special_tokens({"additional_special_tokens": list(special)})
    if added:
        fast.add_tokens(list(added))
    fast.save_pretrained(path)


def make_gpt2(path: Path, seed: int) -> str:
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(vocab_size=64, n_embd=32, n_layer=2, n_head=4, n_positions=32)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(cfg)
    _perturb(model, seed)
    model.save_pretrained(path)
    return str(path)


def make_lora(base: str, path: Path, seed: int, **kwargs) -> str:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base)
    peft_model = get_peft_model(model, LoraConfig(**kwargs))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(peft_model.named_parameters()):
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            elif "modules_to_save" in name:
                p.copy_(torch.randn(p.shape, generator=g))
    peft_model.save_pretrained(path)
    return str(path)


@dataclass
class Zoo:
    root: Path
    a: str
    b: str
    c: str
    d: str
    a_bf16: str
    small_vocab: str
    tied: str
    gpt2: str
    lora_a: str  # q,v,down_proj; r=4 alpha=8
    lora_rs: str  # rslora, rank/alpha patterns, embed_tokens + modules_to_save lm_head
    lora_gpt2: str  # Conv1D: fan_in_fan_out


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> Zoo:
    root = tmp_path_factory.mktemp("zoo")
    a = make_llama(root / "a", 1)
    b = make_llama(root / "b", 2)
    c = make_llama(root / "c", 3)
    d = make_llama(root / "d", 4)
    a_bf16 = make_llama(root / "a_bf16", 5, dtype=torch.bfloat16)
    small = make_llama(root / "small_vocab", 6, vocab=60)
    tied = make_llama(root / "tied", 7, tied=True)
    gpt2 = make_gpt2(root / "gpt2", 8)
    lora_a = make_lora(a, root / "lora_a", 11, r=4, lora_alpha=8,
                       target_modules=["q_proj", "v_proj", "down_proj"])
    lora_rs = make_lora(a, root / "lora_rs", 12, r=4, lora_alpha=16, use_rslora=True,
                        target_modules=["k_proj", "up_proj", "embed_tokens"], rank_pattern={"up_proj": 2},
                        alpha_pattern={"k_proj": 4}, modules_to_save=["lm_head"])
    lora_gpt2 = make_lora(gpt2, root / "lora_gpt2", 13, r=2, lora_alpha=4, fan_in_fan_out=True,
                          target_modules=["c_attn", "c_fc"])
    return Zoo(root, a, b, c, d, a_bf16, small, tied, gpt2, lora_a, lora_rs, lora_gpt2)


@dataclass
class TokZoo:
    base: str  # vocab 64
    chatml: str  # model vocab 66: 64 + <|im_start|>, <|im_end|>
    padded: str  # model vocab 64, tokenizer 64 + 4 unused added tokens


@pytest.fixture(scope="session")
def tok_zoo(tmp_path_factory) -> TokZoo:
    root = tmp_path_factory.mktemp("tok_zoo")
    base = make_llama(root / "base", 21, layers=2)
    chatml = make_llama(root / "chatml", 22, vocab=66, layers=2, tokenizer=False)
    make_tokenizer(root / "chatml", 66, base=64, special=["<|im_start|>", "<|im_end|>"])
    padded = make_llama(root / "padded", 23, layers=2, tokenizer=False)
    make_tokenizer(root / "padded", 64, added=[f"<UNUSED_{i}>" for i in range(4)])
    return TokZoo(base, chatml, padded)


def load_tensors(folder: str) -> dict:
    from safetensors.torch import load_file

    out = {}
    for f in sorted(glob.glob(os.path.join(folder, "*.safetensors"))):
        out.update(load_file(f))
    return out


@pytest.fixture
def run_mergekit(tmp_path, monkeypatch):
    """Run mergekit 0.1.5 in-process on a YAML config; returns the output folder."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    mergekit = pytest.importorskip("mergekit")
    assert mergekit.__version__ if hasattr(mergekit, "__version__") else True
    from mergekit.config import MergeConfiguration
    from mergekit.merge import MergeOptions, run_merge
    import yaml

    def run(config: str, name: str = "mk", seed: int | None = None, **options) -> str:
        out = str(tmp_path / name)
        cfg = MergeConfiguration.model_validate(yaml.safe_load(config))
        opts = MergeOptions(lora_merge_cache=str(tmp_path / "lora_cache"), quiet=True, random_seed=seed,
                            copy_tokenizer=True, write_model_card=False, **options)
        run_merge(cfg, out, opts, config_source=config)
        return out

    return run


@pytest.fixture
def run_mergelint(tmp_path):
    """Run mergelint's engine in-process on a YAML config; returns the output folder."""
    from merge_core.run import Options, run_merge

    def run(config: str, name: str = "ml", **options) -> str:
        out = str(tmp_path / name)
        run_merge(config, out, Options(**options))
        return out

    return run


def compare(ours: str, theirs: str, *, exact: bool = True, atol: float = 0.0, allow_missing=(), max_diff=None):
    """Every tensor equal (same names, shapes, dtypes, values)."""
    a, b = load_tensors(ours), load_tensors(theirs)
    missing = set(b) - set(a) - set(allow_missing)
    assert not missing, f"missing from mergelint's output: {sorted(missing)}"
    extra = set(a) - set(b)
    assert not extra, f"not in mergekit's output: {sorted(extra)}"
    report = []
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        assert x.dtype == y.dtype, f"{name}: dtype {x.dtype} vs mergekit {y.dtype}"
        assert x.shape == y.shape, f"{name}: shape {tuple(x.shape)} vs mergekit {tuple(y.shape)}"
        if exact:
            if not torch.equal(x, y):
                diff = (x.double() - y.double()).abs().max().item()
                report.append(f"{name}: max |diff| {diff:.3g}, {(x != y).sum().item()} of {x.numel()} differ")
        else:
            torch.testing.assert_close(x, y, atol=atol, rtol=0, msg=lambda m, n=name: f"{n}: {m}")
    assert not report, "tensors differ from mergekit:\n" + "\n".join(report)
    return a, b


@pytest.fixture
def parity(run_mergekit, run_mergelint):
    def check(config: str, *, seed: int | None = None, exact: bool = True, atol: float = 0.0, **options):
        theirs = run_mergekit(config, seed=seed)
        ours = run_mergelint(config, seed=seed, **options)
        return compare(ours, theirs, exact=exact, atol=atol)

    return check



@pytest.fixture
def cfg(tmp_path):
    """Write a config file in the test's folder; returns its path."""
    def write(text, name="merge.yml"):
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def tensors_of():
    return load_tensors


@pytest.fixture
def same_as():
    return compare
