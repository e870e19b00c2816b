"""Headless Neovim (Debian's 0.7, or any later one) applies "Add weight: 1.0" through its own code-action path,
and shows the plan's code lens with the figures of `mergelint plan`.

Skipped when `nvim` is not installed, unless MERGELINT_REQUIRE_NVIM=1 (.ci/run sets it, and
MERGELINT_REQUIRE_EDITORS=1 counts too), which turns a missing Neovim into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_support import cli_plan, lens_title

SCRIPTS = Path(__file__).resolve().parent / "nvim"


def _nvim() -> str:
    found = os.environ.get("MERGELINT_NVIM") or shutil.which("nvim")
    if found:
        return found
    if "1" in (os.environ.get("MERGELINT_REQUIRE_NVIM"), os.environ.get("MERGELINT_REQUIRE_EDITORS")):
        pytest.fail("MERGELINT_REQUIRE_NVIM=1 but no `nvim` on PATH (apt-get install -y neovim)")
    pytest.skip("nvim is not installed")


def _run(script: str, tmp_path: Path, **env) -> dict:
    """The script's JSON result, once it has passed."""
    nvim = _nvim()
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "MERGELINT_PY": sys.executable,
        "MERGELINT_NVIM_OUT": str(out),
        "HF_HUB_OFFLINE": "1",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # Neovim's lsp.log
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        **env,
    }
    proc = subprocess.run(
        [nvim, "--headless", "-n", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPTS / script}"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.exists(), f"no result from Neovim (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text())
    assert proc.returncode == 0 and result["ok"], json.dumps(result, indent=1) + proc.stderr
    return result


def test_neovim_fixes_missing_weight(tmp_path):
    result = _run("add_weight.lua", tmp_path, MERGELINT_NVIM_DIR=str(tmp_path / "config"))
    assert result["steps"] == ["initialized", "diagnostic", "written", "cleared"]
    assert result["code_action"] == "Add weight: 1.0"
    saved = (tmp_path / "config" / "merge.yml").read_text()
    assert saved == "merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 1.0\n"


def test_neovim_shows_the_plans_code_lens(tmp_path, llama_pair):
    config = tmp_path / "plan.yml"
    config.write_text(f"merge_method: linear\nmodels:\n  - model: {llama_pair[0]}\n    parameters: {{weight: [0, 1]}}\n"
                      f"  - model: {llama_pair[1]}\n    parameters: {{weight: 1}}\n")
    result = _run("plan_lens.lua", tmp_path, MERGELINT_NVIM_CONFIG=str(config))
    assert result["steps"] == ["initialized", "lens"]
    assert result["lenses"] == [{"line": 0, "title": lens_title(cli_plan(config, tmp_path))}]


STREAM = """\
name: base-merge
merge_method: linear
models:
  - model: org/a
  - model: org/b
---
merge_method: ties
base_model: base-merge@main
models:
  - model: "base-merge+org/lora"
  - model: org/c
"""


def test_neovim_goes_to_a_stage_and_renames_it(tmp_path):
    config = tmp_path / "config" / "stream.yml"
    config.parent.mkdir()
    config.write_text(STREAM)
    result = _run("stage_definition.lua", tmp_path, MERGELINT_NVIM_CONFIG=str(config))
    assert result["steps"] == ["initialized", "definition", "rename"]
    assert result["definition"] == [1, len("name: ")]
    assert "\n".join(result["lines"]) + "\n" == STREAM.replace("base-merge", "stage-one")
