"""Helpers shared by the checker tests: paths, checking a text, and range sanity."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from mergelint.checker import check_source, decode
from mergelint.diagnostics import Diagnostic
from mergelint.document import Position, Range, Source
from mergelint.output import as_json
from mergelint.rule import Needs
from mergelint.rules import RULES
from mergelint.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RULE_FIXTURES = ROOT / "tests" / "fixtures" / "rules"
# Third-party configs: read where they lie, never copied into the repository.

def _corpus() -> Path:
    """$MERGELINT_CORPUS, else the shared folder beside the checkout, else beside the checkout this
    one was cloned from (CI tests a clone made elsewhere of a checkout that has the folder beside it)."""
    if "MERGELINT_CORPUS" in os.environ:
        return Path(os.environ["MERGELINT_CORPUS"])
    beside = ROOT.parent / "shared" / "corpus"
    if beside.is_dir():
        return beside
    origin = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"], capture_output=True, text=True)
    return Path(origin.stdout.strip()).parent / "shared" / "corpus" if origin.returncode == 0 else beside


CORPUS = _corpus()


# Rules that read the models' own files (declared `needs=Needs.MODEL_FACTS`): on the configs of
# these tests their models are nowhere, so they report one info per model, worded after this
# machine's Hugging Face cache. The static tests leave them out; tests/models builds real ones.
MODEL_FACT_RULES = tuple(r.name for r in RULES if r.needs is Needs.MODEL_FACTS)
STATIC = Settings(ignore=MODEL_FACT_RULES)


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".yml", ".yaml"))


def fixture_files() -> list[Path]:
    return sorted(RULE_FIXTURES.glob("*.yml"))


def load_fixture(path: Path) -> Source:
    """A fixture as the CLI reads it, with its path relative to the repository root."""
    return decode(path.read_bytes(), path.relative_to(ROOT).as_posix())


def check_text(text: str, path: str = "config.yml", settings: Settings = STATIC) -> list[Diagnostic]:
    return check_source(Source(text, path), settings)


def to_json(source: Source, diagnostics: list[Diagnostic]) -> list[dict]:
    """The diagnostics exactly as `mergelint check --format json` prints them."""
    return json.loads(as_json([(source, diagnostics)]))


def rules_of(diagnostics) -> list[str]:
    return [d.rule for d in diagnostics]


def position_inside(source: Source, pos: Position) -> bool:
    """A position that names a place in the text: an existing line, a column within it (or at its end)."""
    if not 0 <= pos.line < len(source.lines):
        return False
    return 0 <= pos.column <= len(source.lines[pos.line])


def range_inside(source: Source, rng: Range) -> bool:
    return position_inside(source, rng.start) and position_inside(source, rng.end) and rng.start <= rng.end


def assert_ranges_inside(source: Source, diagnostics: list[Diagnostic]) -> None:
    """Every diagnostic range and every fix edit range lies inside the document."""
    for d in diagnostics:
        assert range_inside(source, d.range), f"{d.rule}: range {d.range} outside the text"
        for fix in d.fixes:
            for edit in fix.edits:
                assert range_inside(source, edit.range), f"{d.rule}: fix {fix.title!r} edits {edit.range} outside the text"
            spans = sorted((e.range.start, e.range.end) for e in fix.edits)
            for (_, end), (start, _) in zip(spans, spans[1:]):
                assert end <= start, f"{d.rule}: fix {fix.title!r} has overlapping edits"
