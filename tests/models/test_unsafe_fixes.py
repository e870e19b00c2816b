"""`--fix --unsafe-fixes` applies the unsafe fixes that model facts give; `--fix` alone says it left them."""

from __future__ import annotations

import subprocess
import sys

from mergelint.check_context import CheckContext
from mergelint.document import Source
from mergelint.fixing import apply_fixes

CONFIG = """\
merge_method: passthrough
slices:
  - sources:
      - model: ./llama-b
        layer_range: [2, 6]  # past the end of its 4 layers
"""


def _check(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mergelint", "check", "--ignore", "model-not-found", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_unsafe_fixes_are_applied_only_when_asked(models):
    path = models.root / "unsafe-fix.yml"
    path.write_text(CONFIG)
    safe_only = _check("--fix", path.name, cwd=models.root)
    assert safe_only.returncode == 1  # the layer_range error stays
    assert safe_only.stderr == "unsafe-fix.yml: 1 unsafe fix not applied (--unsafe-fixes applies it)\n"
    assert "Change the end to 4" in safe_only.stdout
    assert path.read_text() == CONFIG
    unsafe = _check("--fix", "--unsafe-fixes", path.name, cwd=models.root)
    assert (unsafe.returncode, unsafe.stderr) == (0, "unsafe-fix.yml: applied 1 fix\n")
    assert path.read_text() == CONFIG.replace("[2, 6]", "[2, 4]")


def test_unsafe_fixes_without_fix_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mergelint", "check", "--unsafe-fixes", "x.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--unsafe-fixes only says which fixes --fix applies: add --fix" in result.stderr


def test_each_round_of_fixes_rechecks_in_the_same_context(models):
    """The end is past the model's 4 layers only once the typo `layer_rnage` is renamed: the second
    round's re-check must still find ./llama-b where the first check did (the context's folder)."""
    text = CONFIG.replace("layer_range", "layer_rnage")
    context = CheckContext(Source(text, "merge.yml"), inspector=models.inspector())
    fixed, left, applied = apply_fixes(context, unsafe=True)
    assert (fixed.text, applied) == (CONFIG.replace("[2, 6]", "[2, 4]"), 2)
    assert not [d for d in left if d.rule == "layer-range"]
