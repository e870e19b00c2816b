"""Golden fixtures for the compatibility rules (RoPE, tied embeddings, special tokens and chat
templates, added tokens), over the real tiny models of compat_models.py.

tests/compat/golden/<rule>[--case].yml is a config over those models (relative paths from
their folder, network off); <same>.json is what `mergelint check --format json` prints for
it, the models folder written as $MODELS. `clean*.yml` must give no diagnostic. Regenerate
with MERGELINT_UPDATE_SNAPSHOTS=1 and review the diff by eye.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from merge_core.inspect import Inspector
from mergelint.checker import check_source, decode
from mergelint.output import as_json
from mergelint.rules import lookup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = sorted((HERE / "golden").glob("*.yml"))
UPDATE = os.environ.get("MERGELINT_UPDATE_SNAPSHOTS") == "1"
RULES = ("rope-mismatch", "tie-embeddings-mismatch", "special-tokens-mismatch", "added-tokens-dropped")


def run(root: Path, path: Path) -> list[dict]:
    source = decode(path.read_bytes(), path.relative_to(ROOT).as_posix())
    inspector = Inspector(str(root), False, hub_cache=str(root / "no-hub"), cache_dir=str(root / "cache"), env={})
    return json.loads(as_json([(source, check_source(source, inspector=inspector))]).replace(str(root), "$MODELS"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_golden(compat_models, path):
    actual = run(compat_models, path)
    snapshot = path.with_suffix(".json")
    if UPDATE:
        snapshot.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    assert actual == json.loads(snapshot.read_text(encoding="utf-8"))
    name = path.stem.split("--")[0]
    if name == "clean":
        assert actual == []
    else:
        assert name in {d["rule"] for d in actual}


def test_every_compatibility_rule_has_a_golden_fixture():
    assert all(lookup(r) is not None for r in RULES)
    assert set(RULES) <= {p.stem.split("--")[0] for p in FIXTURES}
