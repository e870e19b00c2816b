"""textDocument/diagnostic: the diagnostics a pulling client asks for (registered only for such a client)."""

from __future__ import annotations

from lsprotocol import types

from . import DocumentRequest

IDENTIFIER = "mergelint"
METHOD = types.TEXT_DOCUMENT_DIAGNOSTIC
OPTIONS = types.DiagnosticOptions(identifier=IDENTIFIER, inter_file_dependencies=False, workspace_diagnostics=False)


def unknown(params: types.DocumentDiagnosticParams) -> types.RelatedFullDocumentDiagnosticReport:
    return types.RelatedFullDocumentDiagnosticReport(items=[])


def handle(request: DocumentRequest, params: types.DocumentDiagnosticParams):
    key = request.analysis.key
    result_id = f"{request.session}:{key[0]}:{key[1]}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=request.diagnostics, result_id=result_id)
