"""What the client can do, resolved once at initialize (the way ruff's server does it)."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types


def _get(obj, *names, default=None):
    for name in names:
        obj = getattr(obj, name, None)
        if obj is None:
            return default
    return obj


@dataclass(frozen=True)
class Resolved:
    pull_diagnostics: bool = False
    document_changes: bool = False
    configuration: bool = False
    configuration_registration: bool = False
    watched_files_registration: bool = False
    diagnostic_refresh: bool = False
    markdown_hover: bool = True
    markdown_completion: bool = True
    hierarchical_symbols: bool = True
    preferred_actions: bool = True
    resolve_action_edits: bool = False  # codeAction/resolve may fill in an action's edit

    @staticmethod
    def of(caps: types.ClientCapabilities | None) -> "Resolved":
        if caps is None:
            return Resolved()
        hover_formats = _get(caps, "text_document", "hover", "content_format", default=[types.MarkupKind.Markdown])
        item_formats = _get(
            caps, "text_document", "completion", "completion_item", "documentation_format", default=[types.MarkupKind.Markdown]
        )
        return Resolved(
            pull_diagnostics=_get(caps, "text_document", "diagnostic") is not None,
            document_changes=bool(_get(caps, "workspace", "workspace_edit", "document_changes", default=False)),
            configuration=bool(_get(caps, "workspace", "configuration", default=False)),
            configuration_registration=bool(
                _get(caps, "workspace", "did_change_configuration", "dynamic_registration", default=False)
            ),
            watched_files_registration=bool(
                _get(caps, "workspace", "did_change_watched_files", "dynamic_registration", default=False)
            ),
            diagnostic_refresh=bool(_get(caps, "workspace", "diagnostics", "refresh_support", default=False)),
            markdown_hover=types.MarkupKind.Markdown in list(hover_formats),
            markdown_completion=types.MarkupKind.Markdown in list(item_formats),
            hierarchical_symbols=bool(
                _get(caps, "text_document", "document_symbol", "hierarchical_document_symbol_support", default=False)
            ),
            preferred_actions=bool(_get(caps, "text_document", "code_action", "is_preferred_support", default=False)),
            resolve_action_edits=bool(_get(caps, "text_document", "code_action", "data_support", default=False))
            and "edit" in list(_get(caps, "text_document", "code_action", "resolve_support", "properties", default=[])),
        )
