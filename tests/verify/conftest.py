"""Session fixtures of the verify tests: healthy tiny models (see verify_support.py), and fresh
copies of them to break."""

from __future__ import annotations

import shutil

import pytest
from verify_support import Healthy, merge_models, torch


@pytest.fixture(scope="session")
def healthy(tmp_path_factory) -> Healthy:
    from transformers import LlamaForCausalLM

    from merge_core.run import Options, run_merge

    root = tmp_path_factory.mktemp("verify")
    untied = merge_models.make_llama(root / "untied", 31)
    other = merge_models.make_llama(root / "other", 32)
    tied = merge_models.make_llama(root / "tied", 33, tied=True)
    bf16 = merge_models.make_llama(root / "bf16", 34, dtype=torch.bfloat16)
    sharded = str(root / "sharded")
    LlamaForCausalLM.from_pretrained(untied).save_pretrained(sharded, max_shard_size="20KB")
    merged = str(root / "merged")
    config = (f"merge_method: ties\nbase_model: {untied}\nmodels:\n  - model: {other}\n    parameters: "
              f"{{weight: 0.7, density: 0.5}}\n  - model: {bf16}\n    parameters: {{weight: 0.5, density: 0.5}}\n"
              "dtype: bfloat16\n")
    run_merge(config, merged, Options())
    return Healthy(root, untied, tied, bf16, sharded, merged)


@pytest.fixture
def broken(healthy, tmp_path):
    """broken(kind="untied") -> a fresh copy of that healthy model, to break."""

    def copy(kind: str = "untied") -> Path:
        target = tmp_path / f"{kind}-broken"
        shutil.copytree(getattr(healthy, kind), target)
        return target

    return copy
