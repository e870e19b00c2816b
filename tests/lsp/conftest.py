"""Fixtures of the language server tests (helpers are in lsp_support.py)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from lsp_support import PROFILES, server_config, start


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("ws")


@pytest_lsp.fixture(scope="module", params=PROFILES, config=server_config())
async def client(lsp_client: LanguageClient, request, workspace):
    await start(lsp_client, request.param, workspace)
    lsp_client.profile = request.param  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


# Built in a child process, so that torch, transformers and peft never enter the test process.
_BUILD = r"""
import sys, torch, transformers, peft
model_dir, lora_dir = sys.argv[1], sys.argv[2]
config = transformers.LlamaConfig(
    vocab_size=128, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
    num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
)
torch.manual_seed(0)
model = transformers.LlamaForCausalLM(config)
model.save_pretrained(model_dir, safe_serialization=True)
lora = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], base_model_name_or_path=model_dir)
peft.get_peft_model(model, lora).save_pretrained(lora_dir)
"""


# Two 8-layer Llamas, different seeds: a merge whose gradients have layers to spread over.
_BUILD_PAIR = r"""
import sys, torch, transformers
for seed, folder in enumerate(sys.argv[1:]):
    config = transformers.LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=8,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
    )
    torch.manual_seed(seed)
    transformers.LlamaForCausalLM(config).save_pretrained(folder, safe_serialization=True)
"""


def _build(script: str, *folders: pathlib.Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", script, *map(str, folders)], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and "No module named" in done.stderr:
        pytest.skip(f"cannot build a tiny model here: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.fixture(scope="session")
def _tiny(tmp_path_factory) -> tuple[pathlib.Path, pathlib.Path]:
    """A real (tiny, random) Llama checkpoint saved by transformers, and a peft LoRA adapter for it."""
    root = tmp_path_factory.mktemp("models")
    model, lora = root / "tiny-llama", root / "tiny-lora"
    _build(_BUILD, model, lora)
    return model, lora


@pytest.fixture(scope="session")
def llama_pair(tmp_path_factory) -> tuple[pathlib.Path, pathlib.Path]:
    """Two real 8-layer tiny Llamas (safetensors, saved by transformers)."""
    root = tmp_path_factory.mktemp("pair")
    pair = root / "llama-a", root / "llama-b"
    _build(_BUILD_PAIR, *pair)
    return pair


@pytest.fixture(scope="session")
def tiny_model(_tiny) -> pathlib.Path:
    return _tiny[0]


@pytest.fixture(scope="session")
def tiny_lora(_tiny) -> pathlib.Path:
    return _tiny[1]
