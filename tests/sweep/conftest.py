"""Tiny models, a text to score and a runner for the sweep tests.

The models come from the merge tests' helpers (tests/merge/conftest.py: random Llama-style networks
with a BPE tokenizer of `_tok_N` words), loaded as a plain module so their fixtures are not registered
twice. Sweeps run as users run them: `python -m mergelint sweep` in a child process, embedded Ray.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("ray", reason="the sweep tests need the `sweep` extra (ray)")
pytest.importorskip("optuna", reason="the sweep tests need the `sweep` extra (optuna)")
pytest.importorskip("ruamel.yaml", reason="the sweep tests need the `sweep` extra (ruamel.yaml)")

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


merge_models = _load("sweep_merge_models", TESTS / "merge" / "conftest.py")


@dataclass
class Models:
    a: str
    b: str
    text: Path  # words of the tiny tokenizer's vocabulary, for perplexity


def make_models(root: Path) -> Models:
    """Two 2-layer Llama models with tokenizers and a 200-word text in `root` (bench/bench_sweep.py uses it too)."""
    a = merge_models.make_llama(root / "a", 1, layers=2)
    b = merge_models.make_llama(root / "b", 2, layers=2)
    text = root / "text.txt"
    text.write_text(" ".join(f"_tok_{3 + (i * 7) % 61}" for i in range(200)) + "\n")
    return Models(a, b, text)


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Models:
    return make_models(tmp_path_factory.mktemp("sweep_models"))


def base_config(models: Models, weight_a: str = "0.5", weight_b: str = "0.5") -> str:
    return f"""\
# the merge being tuned: comments and quoting must survive
merge_method: linear
dtype: float32  # math in full precision
models:
    - model: "{models.a}"
      parameters:
          weight: {weight_a}   # searched
    - model: '{models.b}'
      parameters:
          weight: {weight_b}
parameters:
    normalize: true
"""


@dataclass
class Ran:
    returncode: int
    stderr: str
    out: Path

    def lines(self) -> list[str]:
        path = self.out / "results.jsonl"
        return path.read_text().splitlines(keepends=True) if path.exists() else []

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def sweep_cli(tmp_path):
    """Run `mergelint sweep SWEEP --out OUT ...` in a child process, from the test's folder."""
    def run(sweep: Path, *args: str, out: Path | None = None, timeout: int = 400, env: dict | None = None) -> Ran:
        out = out or tmp_path / "out"
        environ = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0",
                   **(env or {})}
        proc = subprocess.run([sys.executable, "-m", "mergelint", "sweep", str(sweep), "--out", str(out), *args],
                              cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=timeout)
        return Ran(proc.returncode, proc.stderr, out)

    return run
