"""What must hold for any input file, checked on one input at a time.

Shared by tests/test_fuzz_mutations.py and scripts/fuzz. `check_input` raises an
AssertionError when a property fails and lets any other exception (a crash) through.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from lsprotocol import types

from checker_support import assert_ranges_inside
from lsp.actions import code_actions
from lsp.analysis import CHECKED, Snapshot, analyse
from lsp.capabilities import Resolved
from mergelint.check_context import CheckContext
from mergelint.checker import InputError, check_source, decode
from mergelint.document import Source
from mergelint.fixing import apply_edits, apply_fixes, resolve
from mergelint.settings import Settings

SETTINGS = Settings()
PATH = "fuzz.yml"
ENCODINGS = ("utf-16", "utf-8", "utf-32")


def is_yaml(text: str) -> bool:
    """Whether mergekit's loader (PyYAML's safe_load) reads the text."""
    try:
        list(yaml.safe_load_all(text))
    except Exception:  # not only YAMLError: `!!float linear` is a ValueError, and mergekit stops on it all the same
        return False
    return True


def editor_text(data: bytes) -> str:
    """The text an editor would send for these bytes (it decodes them itself, as it can)."""
    return data.decode("utf-8-sig", "replace")


def check_input(data: bytes, encoding: str = "utf-16") -> str:
    """Every property on one file's bytes; returns the outcome: refused, invalid-yaml or checked."""
    check_in_editor(editor_text(data), encoding)
    try:
        source = decode(data, PATH)
    except InputError as e:
        assert "\n" not in str(e), f"a refusal must be one line: {e}"
        return "refused"
    diagnostics = check_source(source, SETTINGS)
    assert_ranges_inside(source, diagnostics)
    # What mergekit reads: the file decoded as UTF-8 with its BOM (PyYAML skips one, not a second).
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    valid = is_yaml(bom + source.text)
    if not valid:
        assert "yaml-syntax" in [d.rule for d in diagnostics], "mergekit cannot load this text, yet no yaml-syntax error"
    fixed = check_fixing(source)
    if valid:
        assert is_yaml(bom + fixed.text), "--fix turned valid YAML into invalid YAML"  # (--fix keeps the BOM)
    return "checked" if valid else "invalid-yaml"


def check_fixing(source: Source) -> Source:
    """--fix applies exactly the advertised edits of the fixes it chose, and is idempotent."""
    fixed, diagnostics, applied = apply_fixes(CheckContext(source, SETTINGS))
    assert_ranges_inside(fixed, diagnostics)
    assert (applied == 0) == (fixed.text == source.text), f"{applied} fixes applied, text changed: {fixed.text != source.text}"
    assert replay_fixes(source) == fixed.text, "--fix changed more than the edits its fixes advertise"
    again, _, more = apply_fixes(CheckContext(fixed, SETTINGS))
    assert (more, again.text) == (0, fixed.text), f"fixing the fixed text applied {more} more fix(es)"
    return fixed


def replay_fixes(source: Source) -> str:
    """The text apply_fixes should give, rebuilt from the advertised edits alone: each round,
    the fixes resolve() chooses out of the diagnostics' own (none of them overlapping), then a
    re-check; until nothing is chosen or a round comes back to an earlier text."""
    seen = {source.text}
    while True:
        diagnostics = check_source(source, SETTINGS)
        chosen = resolve(diagnostics)
        offered = [d.fix_to_apply(False) for d in diagnostics]
        assert all(fix in offered for fix in chosen), "resolve() chose a fix that no diagnostic offers"
        spans = sorted((source.offset(e.range.start), source.offset(e.range.end)) for fix in chosen for e in fix.edits)
        assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:])), "overlapping edits chosen together"
        text = apply_edits(source, [e for fix in chosen for e in fix.edits])
        if not chosen or text in seen:
            return source.text
        seen.add(text)
        source = Source(text, source.path)


def check_in_editor(text: str, encoding: str) -> None:
    """The language server's analysis and its quick fixes over the whole document never raise."""
    analysis = analyse(Snapshot((0, 0), 1, text, PATH, SETTINGS, encoding))
    if analysis.status != CHECKED:
        return
    end = analysis.index.range(len(text), len(text)).end
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri="file:///fuzz.yml"),
        range=types.Range(types.Position(0, 0), end),
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.QuickFix]),
    )
    for action in code_actions(analysis, "file:///fuzz.yml", 1, params, Resolved()):
        for edit in action.edit.changes["file:///fuzz.yml"]:
            assert edit.range.start.line <= edit.range.end.line


def expected_exit_code(data: bytes, fix: bool) -> int:
    """What `mergelint check [--fix]` must exit with for this one file: 2 refused, 1 an error, else 0."""
    try:
        source = decode(data, PATH)
    except InputError:
        return 2
    diagnostics = apply_fixes(CheckContext(source, SETTINGS))[1] if fix else check_source(source, SETTINGS)
    return int(any(d.severity == "error" for d in diagnostics))


def check_cli(inputs: list[bytes], folder: Path) -> None:
    """The CLI in a real subprocess over these files, once checking (JSON) and once fixing them:
    exit code 0, 1 or 2 as computed in-process, never a traceback or an internal error, and
    --fix writes what apply_fixes gives."""
    paths = []
    for n, data in enumerate(inputs):
        path = folder / f"input-{n}.yml"
        path.write_bytes(data)
        paths.append(path)
    for fix in (False, True):
        args = ["--fix"] if fix else ["--format", "json"]
        env = {k: v for k, v in os.environ.items() if k != "MERGELINT_DEBUG"}
        result = subprocess.run([sys.executable, "-m", "mergelint", "check", *args, *map(str, paths)],
                                capture_output=True, timeout=600, env=env)
        stderr = result.stderr.decode("utf-8", "replace")
        assert "Traceback" not in stderr and "internal error" not in stderr, stderr
        assert result.returncode == max(expected_exit_code(d, fix) for d in inputs), stderr
        if not fix:
            json.loads(result.stdout)
    for data, path in zip(inputs, paths):
        if expected_exit_code(data, False) != 2:
            fixed = apply_fixes(CheckContext(decode(data, PATH), SETTINGS))[0].text
            assert decode(path.read_bytes(), PATH).text == fixed, f"--fix wrote something else than apply_fixes into {path.name}"
