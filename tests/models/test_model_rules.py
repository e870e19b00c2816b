"""Golden fixtures for the model-fact rules, over real tiny checkpoints built in the run.

tests/models/golden/<rule>[--case].yml is a config over the models of the `models`
fixture (relative paths from the models folder, `org/*` ids from its Hugging Face
cache, network off); <same>.json is what `mergelint check --format json --select <rule>`
prints for it (its own rule's findings alone), with the models folder written as $MODELS.
`clean*.yml` configs are checked with every rule and must give no diagnostic at all.
Regenerate the snapshots with

    MERGELINT_UPDATE_SNAPSHOTS=1 python -m pytest tests/models/test_model_rules.py

and review the diff by eye.

Recipe for a new rule declared `needs=Needs.MODEL_FACTS`: add the checkpoint it judges to
tiny_models.py's `build()` (a few hidden units, one or two layers; name it in the manifest),
write tests/models/golden/<rule>.yml over it, regenerate, and read the snapshot. The
compatibility rules keep theirs in tests/compat/golden, over compat_models.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mergelint.checker import check_source, decode
from mergelint.output import as_json
from mergelint.rule import Needs
from mergelint.rules import RULES, lookup
from mergelint.settings import Settings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOLDEN = HERE / "golden"
FIXTURES = sorted(GOLDEN.glob("*.yml"))
UPDATE = os.environ.get("MERGELINT_UPDATE_SNAPSHOTS") == "1"


def _rule_of(path: Path) -> str:
    return path.stem.split("--")[0]


def run(models, path: Path) -> list[dict]:
    source = decode(path.read_bytes(), path.relative_to(ROOT).as_posix())
    rule = _rule_of(path)
    settings = Settings() if rule == "clean" else Settings(select=(rule,))
    diagnostics = check_source(source, settings, inspector=models.inspector())
    return json.loads(as_json([(source, diagnostics)]).replace(str(models.root), "$MODELS"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_golden(models, path):
    actual = run(models, path)
    snapshot = path.with_suffix(".json")
    if UPDATE:
        snapshot.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert snapshot.exists(), f"no snapshot for {path.name}: run with MERGELINT_UPDATE_SNAPSHOTS=1 and review it"
    assert actual == json.loads(snapshot.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_golden_triggers_its_rule(models, path):
    name = _rule_of(path)
    found = run(models, path)
    if name == "clean":
        assert found == []
    else:
        assert lookup(name) is not None, f"{path.name} is named after no rule"
        assert name in {d["rule"] for d in found}


def test_every_model_rule_has_a_golden_fixture():
    names = {_rule_of(p) for p in FIXTURES}
    model_rules = ["model-not-found", "layer-range"] + [
        r for r in (
            "lora-base-mismatch", "lora-shape-mismatch", "adapter-as-model", "lora-unsupported", "incompatible-models",
            "vocab-mismatch", "quantized-input", "filter-no-match", "needs-trust-remote-code", "model-files-unreadable",
            "unknown-module", "modules-required",
        )
    ]
    assert all(lookup(r) is not None for r in model_rules)
    assert not [r for r in model_rules if r not in names]
    assert not [p.name for p in GOLDEN.glob("*.json") if not p.with_suffix(".yml").exists()]


def test_every_rule_that_needs_model_facts_has_a_golden_fixture():
    compat = {_rule_of(p) for p in (ROOT / "tests" / "compat" / "golden").glob("*.yml")}
    names = {_rule_of(p) for p in FIXTURES} | compat
    missing = [r.name for r in RULES if r.needs is Needs.MODEL_FACTS and r.name not in names]
    assert not missing, f"rules over model facts without a golden fixture over tiny models: {missing}"


def _fixable():
    return [p for p in FIXTURES if '"fixes": [\n      {' in p.with_suffix(".json").read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", _fixable(), ids=lambda p: p.stem)
def test_each_fix_removes_its_diagnostic(models, path):
    """Apply every fix on its own, re-check: that rule reports one diagnostic fewer, the YAML stays valid."""
    from mergelint.document import Source
    from mergelint.fixing import apply_edits

    source = decode(path.read_bytes(), path.relative_to(ROOT).as_posix())
    before = check_source(source, inspector=models.inspector())
    for diag in before:
        for fix in diag.fixes:
            fixed = Source(apply_edits(source, fix.edits), source.path)
            after = check_source(fixed, inspector=models.inspector())
            assert not [d for d in after if d.rule == "yaml-syntax"], fix.title
            count = lambda found: sum(d.rule == diag.rule for d in found)  # noqa: E731
            assert count(after) < count(before), (diag.message, fix.title)
