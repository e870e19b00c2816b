"""Helpers of the verify tests: the tiny-model makers, and ways to break a model in exactly one way.

The models come from the merge tests' helpers (tests/merge/conftest.py: random Llama-style
networks saved by transformers, with a tokenizer), loaded here as a plain module so that
their fixtures are not registered twice. Each broken copy is made by `broken(name)` from a
healthy one and changed with `edit_config` / `edit_tensors` (safetensors' own reader and
writer), so that every test breaks one thing.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
pytest.importorskip("transformers")

TESTS = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


merge_models = _load("verify_merge_models", TESTS / "merge" / "conftest.py")
tiny_models = _load("verify_tiny_models", TESTS / "models" / "tiny_models.py")


@dataclass
class Healthy:
    root: Path
    untied: str
    tied: str
    bf16: str
    sharded: str
    merged: str  # a ties merge of two of them by mergelint's engine


def edit_config(folder: Path, **changes) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config, indent=2))


def edit_tensors(folder: Path, change, file: str = "model.safetensors") -> None:
    """change(tensors) edits the dict of tensors of one file, which is written back."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(folder / file))
    change(tensors)
    save_file(tensors, str(folder / file), metadata={"format": "pt"})
