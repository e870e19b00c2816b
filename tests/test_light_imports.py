"""`mergelint check` never imports torch, transformers or peft (docs/architecture.md: the checker stays light)."""

from __future__ import annotations

import json
import subprocess
import sys

from checker_support import ROOT, RULE_FIXTURES, corpus_files

# Plotting: only `plan --plot`; Ray, Optuna and the sweep package: only `sweep`.
HEAVY = ("torch", "transformers", "peft", "matplotlib", "plotly", "ray", "optuna", "sweep")

# Runs the CLI in-process and reports every attempt to import a heavy package, even one that a
# `try: import torch / except ImportError` would hide, and what ended up in sys.modules.
PROBE = r"""
import json, sys

HEAVY = {heavy!r}
attempts = []

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            attempts.append(name)
        return None

sys.meta_path.insert(0, Watch())
from mergelint.cli import main
import lsp.server  # the language server's modules, loaded as it starts
for args in {runs!r}:
    try:
        main(args, standalone_mode=False)
    except SystemExit:
        pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({{"attempts": attempts, "loaded": loaded}}))
"""


def _probe(runs: list[list[str]]) -> dict:
    code = PROBE.format(heavy=HEAVY, runs=runs)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_check_imports_no_heavy_package():
    fixtures = [str(p) for p in sorted(RULE_FIXTURES.glob("*.yml"))]
    corpus = [str(p) for p in corpus_files()[:20]]
    runs = [
        ["check", *fixtures],
        ["check", "--format", "sarif", *fixtures[:5]],
        *([["check", "--format", "json", *corpus]] if corpus else []),
        ["rules"],
        ["explain", "missing-required-parameter"],
    ]
    found = _probe(runs)
    assert found == {"attempts": [], "loaded": []}


def test_the_probe_sees_an_import():
    """The probe itself works: a run that does import a heavy package is caught (json stands in)."""
    code = PROBE.format(heavy=("json",), runs=[["rules"]])
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "json" in json.loads(result.stdout.splitlines()[-1])["loaded"]
