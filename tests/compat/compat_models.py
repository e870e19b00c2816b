"""Real tiny checkpoints for the compatibility rules, each differing from `base` in one way.

Run as a script (in a child process, so torch never enters the test process): random Llama
models saved by transformers, with BPE tokenizers made by the merge tests' helper; the RoPE
variant is `base` with its config.json's RoPE settings changed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
FIM = ["<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>"]


def _helpers():
    spec = importlib.util.spec_from_file_location("compat_merge_models", TESTS / "merge" / "conftest.py")
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def build(root: Path) -> None:
    h = _helpers()
    root.mkdir(parents=True, exist_ok=True)
    h.make_llama(root / "base", 41, layers=2)
    h.make_llama(root / "tied", 42, layers=2, tied=True)
    shutil.copytree(root / "base", root / "rope")
    _edit(root / "rope" / "config.json", lambda c: c.update(
        rope_parameters={"rope_theta": 500000.0, "rope_type": "default"}, max_position_embeddings=8192))
    h.make_llama(root / "chatml", 43, vocab=66, layers=2, tokenizer=False)
    h.make_tokenizer(root / "chatml", 66, base=64, special=["<|im_start|>", "<|im_end|>"])
    _edit(root / "chatml" / "tokenizer_config.json", lambda c: c.update(chat_template=CHATML, eos_token="<|im_end|>"))
    _edit(root / "chatml" / "config.json", lambda c: c.update(eos_token_id=65))
    h.make_llama(root / "fim", 44, vocab=68, layers=2, tokenizer=False)
    h.make_tokenizer(root / "fim", 68, base=64, added=FIM)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    build(Path(sys.argv[1]))
