"""Session fixtures: tiny real checkpoints, adapters and a Hugging Face cache, built once.

They are built in a child process, so that torch, transformers and peft never enter
the test process (other tests assert the checker imports none of them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from merge_core.inspect import Inspector

HERE = Path(__file__).resolve().parent


@dataclass
class Models:
    root: Path
    hub: Path
    manifest: dict

    def inspector(self, online: bool = False, hub_client=None) -> Inspector:
        """An Inspector over these models: relative paths from `root`, this cache, no environment."""
        return Inspector(
            str(self.root),
            online,
            hub_cache=str(self.hub),
            cache_dir=str(self.root / "mergelint-cache"),
            hub_client=hub_client,
            env={},
        )


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> Models:
    root = tmp_path_factory.mktemp("models")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [sys.executable, str(HERE / "tiny_models.py"), str(root)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-4000:]
    manifest = json.loads((root / "manifest.json").read_text())
    return Models(root, root / "hub", manifest)
