"""One check of one document version: the checker's findings and their LSP form.

`analyse` is a pure function of a `Snapshot` (text, path, settings, base folder, encoding); the
server runs it on a worker thread and keeps the newest result per document. The check's context
stays with its result: fix-all, hover and go-to-definition read the same one. Documents that do not
look like merge configs, binary garbage and huge pastes get no findings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from lsprotocol import types

from merge_core.language import looks_like_merge_config
from merge_core.tools import Tool, tool_of
from mergelint.check_context import CheckContext
from mergelint.checker import check, top_level_keys
from mergelint.diagnostics import Diagnostic
from mergelint.document import Source, YamlDocument, parse
from mergelint.rules import lookup
from mergelint.settings import Settings

from .positions import LineIndex

log = logging.getLogger(__name__)

# Past this size a document is not checked live (the CLI's own limit is 10 MiB; a
# check costs about 20 ms per 1,000 lines here, so 2 MiB is already seconds of work).
LIVE_LIMIT = 2 * 1024 * 1024

CHECKED, NOT_CONFIG, BINARY, TOO_LARGE, DISABLED, FAILED = (
    "checked", "not-config", "binary", "too-large", "disabled", "failed"
)

_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "info": types.DiagnosticSeverity.Information,
}
UNUSED_SUPPRESSION = "unused-suppression"


def is_binary(text: str) -> bool:
    """NUL bytes, or lone surrogates (bytes that were never UTF-8): not a text to check."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(eq=False)
class Analysis:
    key: tuple  # (document generation, settings generation)
    version: int | None
    text: str
    index: LineIndex
    status: str
    context: CheckContext  # what the check read (and a fix-all re-check reads)
    findings: list[Diagnostic] = field(default_factory=list)
    diagnostics: list[types.Diagnostic] = field(default_factory=list)  # parallel to findings
    # The parsed stream and the mergekit command it is for, where checked (documents.Tree reuses them)
    documents: list[YamlDocument] | None = None
    tool: Tool | None = None

    @property
    def source(self) -> Source | None:
        """The checked text; None where the document was not checked."""
        return self.context.source if self.status == CHECKED else None

    def pairs(self):
        return zip(self.findings, self.diagnostics)


def stream_tool(text: str, documents: list[YamlDocument], settings: Settings) -> Tool:
    """The mergekit command a text is for, as the checker decides it."""
    return tool_of(text, [top_level_keys(d) for d in documents], settings.kind)


def to_lsp(finding: Diagnostic, source: Source, index: LineIndex) -> types.Diagnostic:
    diag = types.Diagnostic(
        range=index.from_checker(source, finding.range),
        message=finding.message,
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        # the rule's entry in docs/rules.md, which the editor links the code to
        code_description=types.CodeDescription(href=lookup(finding.code).url),
        source="mergelint",
        data={"code": finding.code, "rule": finding.rule, "document": finding.document},
    )
    if finding.rule == UNUSED_SUPPRESSION:
        diag.tags = [types.DiagnosticTag.Unnecessary]
    return diag


@dataclass(frozen=True)
class Snapshot:
    """One document version and all that its check reads, taken on the event loop's thread."""

    key: tuple  # (document generation, settings generation)
    version: int | None
    text: str
    path: str
    settings: Settings
    encoding: str
    enabled: bool = True
    base_dir: str | None = None

    def context(self) -> CheckContext:
        return CheckContext(Source(self.text, self.path), self.settings, self.base_dir)


def analyse(snap: Snapshot) -> Analysis:
    key, version, text = snap.key, snap.version, snap.text
    index, context = LineIndex(text, snap.encoding), snap.context()
    if not snap.enabled:
        return Analysis(key, version, text, index, DISABLED, context)
    if is_binary(text):
        return Analysis(key, version, text, index, BINARY, context)
    if not looks_like_merge_config(text):
        return Analysis(key, version, text, index, NOT_CONFIG, context)
    if len(text) > LIVE_LIMIT:
        message = (
            f"not checked as you type: the document is {len(text) / 2**20:.1f} MiB, over the "
            f"{LIVE_LIMIT // 2**20} MiB limit for live checks; run `mergelint check` on it"
        )
        diag = types.Diagnostic(
            range=index.range(0, 0), message=message, severity=types.DiagnosticSeverity.Information, source="mergelint"
        )
        return Analysis(key, version, text, index, TOO_LARGE, context, diagnostics=[diag])
    findings = check(context)
    diagnostics = [to_lsp(f, context.source, index) for f in findings]
    documents = parsed(context.source)
    tool = stream_tool(text, documents, context.settings)
    return Analysis(key, version, text, index, CHECKED, context, findings, diagnostics, documents, tool)


def parsed(source: Source) -> list[YamlDocument]:
    """The YAML documents of a text; none where the parser refuses it."""
    try:
        return parse(source)
    except Exception:  # noqa: BLE001 - the checker's parser refusing something: no tree, no help
        return []
