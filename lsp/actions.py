"""Code actions: every fix a rule offers, "disable this rule on this line", and fix-all.

Fixes are the checker's own minimal edits (never a re-dump of the document), turned
into a WorkspaceEdit: `changes`, or versioned `documentChanges` when the client
supports them, so that a client holding a newer version refuses a stale edit.
"""

from __future__ import annotations

import difflib
import re

from lsprotocol import types

from mergelint import suppressions
from mergelint.diagnostics import Diagnostic, Edit
from mergelint.document import Source

from .analysis import CHECKED, UNUSED_SUPPRESSION, Analysis
from .capabilities import Resolved
from .documents import tree
from .positions import LineIndex, overlaps

FIX_ALL = "source.fixAll.mergelint"
_NO_DISABLE = {"yaml-syntax", UNUSED_SUPPRESSION}
_LINES = re.compile(r"[^\n]*\n|[^\n]+$")
_BARE_LF = re.compile(r"(?<!\r)\n")


def _wanted(kind: str, only) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text[:65536] else "\n"


def text_edit(index: LineIndex, source: Source, edit: Edit, newline: str) -> types.TextEdit:
    new_text = _BARE_LF.sub(newline, edit.new_text) if newline != "\n" else edit.new_text
    return types.TextEdit(range=index.from_checker(source, edit.range), new_text=new_text)


def workspace_edit(uri: str, version, edits: list[types.TextEdit], caps: Resolved) -> types.WorkspaceEdit:
    if caps.document_changes:
        doc = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=doc, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


def _matches(diag: types.Diagnostic, asked: list[types.Diagnostic]) -> bool:
    for other in asked:
        if other.code == diag.code and other.range == diag.range:
            return True
    return False


def _multiline_scalar_lines(analysis: Analysis) -> tuple[set[int], set[int]]:
    """Lines where a trailing comment would change or break a scalar, and lines that continue one."""
    no_comment: set[int] = set()
    inside: set[int] = set()
    for doc in tree(analysis).documents:
        if doc.root is None:
            continue
        for node in doc.root.walk():
            if not node.is_scalar:
                continue
            s, e = node.range.start, node.range.end
            if s.line == e.line:
                continue
            last = e.line - 1 if e.column == 0 else e.line
            if node.style in ("|", ">"):
                no_comment.update(range(s.line + 1, last + 1))
                inside.update(range(s.line + 1, last + 1))
            else:
                no_comment.update(range(s.line, last))
                inside.update(range(s.line + 1, last + 1))
    return no_comment, inside


def disable_edit(analysis: Analysis, finding: Diagnostic) -> Edit | None:
    """The edit that makes `# mergelint: disable=RULE` cover this finding's line."""
    from mergelint.document import Position, Range

    source = analysis.source
    line = finding.range.start.line
    rule = finding.rule
    found = {s.line: s for s in suppressions.find(source) if not s.whole_file}
    for at in (line, line - 1):
        sup = found.get(at)
        if sup is None:
            continue
        if at == line - 1 and not source.line_text(at).lstrip().startswith("#"):
            continue
        if rule in sup.names:
            return None
        end = sup.range.end
        return Edit(Range(end, end), f", {rule}")
    no_comment, inside = _multiline_scalar_lines(analysis)
    text = source.line_text(line)
    if line not in no_comment:
        end = Position(line, len(text))
        pad = "" if not text.strip() else "  "
        return Edit(Range(end, end), f"{pad}# mergelint: disable={rule}")
    if line in inside:
        return None
    indent = text[: len(text) - len(text.lstrip())]
    start = Position(line, 0)
    return Edit(Range(start, start), f"{indent}# mergelint: disable={rule}\n")


def _line_spans(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in _LINES.finditer(text)]


def minimal_edits(index: LineIndex, old: str, new: str) -> list[types.TextEdit]:
    """Line-level edits turning `old` into `new` (what changed, nothing else)."""
    a, b = _line_spans(old), _line_spans(new)
    matcher = difflib.SequenceMatcher(None, [t for _, t in a], [t for _, t in b], autojunk=False)
    edits = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = a[i1][0] if i1 < len(a) else len(old)
        end = a[i2][0] if i2 < len(a) else len(old)
        edits.append(types.TextEdit(range=index.range(start, end), new_text="".join(t for _, t in b[j1:j2])))
    return edits


def code_actions(
    analysis: Analysis, uri: str, version, params: types.CodeActionParams, caps: Resolved
) -> list[types.CodeAction]:
    if analysis.status != CHECKED or analysis.source is None:
        return []
    only = params.context.only
    index, source = analysis.index, analysis.source
    newline = _newline(analysis.text)
    asked = list(params.context.diagnostics or [])
    actions: list[types.CodeAction] = []
    disabled: set[tuple[str, int]] = set()
    quickfix = _wanted(types.CodeActionKind.QuickFix, only)
    for finding, diag in analysis.pairs():
        if not quickfix:
            break
        if not (overlaps(diag.range, params.range) or _matches(diag, asked)):
            continue
        for fix in finding.fixes:
            edits = [text_edit(index, source, e, newline) for e in fix.edits]
            actions.append(
                types.CodeAction(
                    title=fix.title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=bool(fix.preferred and fix.safe) or None,
                    edit=workspace_edit(uri, version, edits, caps),
                )
            )
        line = finding.range.start.line
        if finding.rule in _NO_DISABLE or (finding.rule, line) in disabled:
            continue
        disabled.add((finding.rule, line))
        edit = disable_edit(analysis, finding)
        if edit is not None:
            actions.append(
                types.CodeAction(
                    title=f"Disable {finding.rule} for this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    edit=workspace_edit(uri, version, [text_edit(index, source, edit, newline)], caps),
                )
            )
    # Fix-all re-checks after every round of fixes: offer it when asked for by kind, or on an explicit
    # request, never on the automatic requests an editor makes as the cursor moves.
    asked_for = bool(only) or params.context.trigger_kind != types.CodeActionTriggerKind.Automatic
    if asked_for and _wanted(FIX_ALL, only) and any(f.preferred_fix for f in analysis.findings):
        if caps.resolve_action_edits:
            # Its edit is worked out in codeAction/resolve, when it is chosen: the answer to
            # Ctrl+. (which VS Code does not even show source actions for) stays as quick as
            # an automatic one, however many fixes the document needs.
            actions.append(types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL, data={FIX_ALL_DATA: uri}))
        else:
            action = fix_all(analysis, uri, version, caps)
            if action is not None:
                actions.append(action)
    return actions


FIX_ALL_TITLE = "Fix all auto-fixable mergelint problems"
FIX_ALL_DATA = "mergelintFixAll"  # the key of a fix-all action's data: the document's URI


def fix_all_edit(analysis: Analysis, uri: str, version, caps: Resolved) -> types.WorkspaceEdit | None:
    from mergelint.fixing import apply_fixes

    if analysis.status != CHECKED:
        return None
    fixed, _, applied = apply_fixes(analysis.context)  # the live check's context: same folder, same settings
    if not applied or fixed.text == analysis.text:
        return None
    edits = minimal_edits(analysis.index, analysis.text, fixed.text)
    return workspace_edit(uri, version, edits, caps)


def fix_all(analysis: Analysis, uri: str, version, caps: Resolved) -> types.CodeAction | None:
    edit = fix_all_edit(analysis, uri, version, caps)
    if edit is None:
        return None
    return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL, edit=edit)


def resolve(action: types.CodeAction, analysis: Analysis, uri: str, caps: Resolved) -> types.CodeAction:
    """A fix-all action with its edit, for the document as it is now (versioned, so that an
    editor holding another version refuses it); with no change at all when nothing is left to fix."""
    edit = fix_all_edit(analysis, uri, analysis.version, caps)
    action.edit = edit if edit is not None else types.WorkspaceEdit(changes={})
    return action
