"""The mergelint language server (pygls 2.x): wiring of the LSP methods to the modules beside it.

Diagnostics are pushed (`textDocument/publishDiagnostics`), or pulled
(`textDocument/diagnostic`) when the client supports pulling; never both. Only
YAML documents are looked at, and only those that look like merge configs get
diagnostics. Bad input never stops the server: a malformed message is answered
with a JSON-RPC error where it has an id, a request about an unknown document with
nothing, and a handler that fails answers that one request with an error.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import uuid
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from mergelint import __version__
from mergelint.checker import unknown_rule_names
from mergelint.settings import SettingsError

from . import actions, completion, definition, facts, hover, settings, stdio, symbols
from .analysis import BINARY, CHECKED, TOO_LARGE, Analysis
from .capabilities import Resolved
from .documents import DocState, is_candidate, is_yaml, tree
from .protocol import Protocol
from .scheduler import Scheduler

log = logging.getLogger("mergelint.lsp")

DIAGNOSTIC_ID = "mergelint"
_SETTINGS_FILES = "**/{pyproject.toml,.mergelint.toml}"


class MergelintServer(LanguageServer):
    def __init__(self):
        super().__init__(
            "mergelint",
            __version__,
            protocol_cls=Protocol,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.caps = Resolved()
        self.initial_settings: dict = {}
        self.client_settings = settings.ClientSettings()
        self.settings_generation = 0
        self.docs: dict[str, DocState] = {}
        self.scheduler = Scheduler(self._snapshot, self._deliver, self.key_now)
        self.session = uuid.uuid4().hex[:8]
        self._told: set[str] = set()
        self.settings_problems: dict[str, SettingsError] = {}  # document URI -> why its project settings are not used

    # --- errors ---------------------------------------------------------------------

    def report_server_error(self, error: Exception, source) -> None:
        """Out-of-band errors go to the log; the user is not interrupted by pop-ups."""
        if isinstance(error, JsonRpcMethodNotFound):
            return  # answered, and logged by pygls in one line
        if isinstance(error, json.JSONDecodeError) or isinstance(error.__cause__, json.JSONDecodeError):
            # pygls's own reader (--tcp) does not answer a message that is not JSON: JSON-RPC 2.0 says Parse error
            self.protocol.reject(None, JsonRpcParseError("Parse error: not JSON"), f"a message that is not JSON ({error})")
            return
        log.warning("ignored a bad message or a failed notification: %s: %s", type(error).__name__, error)

    def tell_once(self, message: str, kind=types.MessageType.Warning) -> None:
        if message in self._told:
            return
        self._told.add(message)
        log.warning("%s", message)
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=f"mergelint: {message}"))
        except Exception:  # noqa: BLE001
            pass

    # --- documents ------------------------------------------------------------------

    def state(self, uri: str) -> DocState | None:
        return self.docs.get(unquote(uri))

    def text_document(self, state: DocState):
        return self.workspace.text_documents.get(unquote(state.uri))

    def base_dir(self, state: DocState) -> str | None:
        """Where relative model paths resolve: the workspace folder holding the document, else its folder."""
        directory = state.directory
        if directory:
            best = None
            for folder in self._folders():
                if (directory + os.sep).startswith(folder.rstrip(os.sep) + os.sep) and (best is None or len(folder) > len(best)):
                    best = folder
            return best or directory
        folders = self._folders()
        return folders[0] if folders else None

    def _folders(self) -> list[str]:
        out = []
        try:
            for folder in self.workspace.folders.values():
                path = to_fs_path(folder.uri)
                if path:
                    out.append(path)
            root = self.workspace.root_path
            if root and root not in out:
                out.append(root)
        except Exception:  # noqa: BLE001
            pass
        return out

    def key_now(self, state: DocState) -> tuple:
        return (state.generation, self.settings_generation)

    def _snapshot(self, state: DocState) -> tuple:
        doc = self.text_document(state)
        text = doc.source if doc is not None else ""
        version = doc.version if doc is not None else None
        effective, problem = settings.effective(state.directory or self.base_dir(state), self.client_settings)
        if problem is not None:
            self.settings_problems[state.uri] = problem
            self.tell_once(f"{problem}; the documents under it are checked with the default settings")
        else:
            self.settings_problems.pop(state.uri, None)
        unknown = unknown_rule_names(effective)
        if unknown:
            self.tell_once(f"unknown rule(s) in the settings: {', '.join(unknown)} (see `mergelint rules`)")
        encoding = str(self.workspace.position_encoding or "utf-16")
        return (
            self.key_now(state),
            version,
            text,
            state.path,
            effective,
            encoding,
            self.client_settings.enable,
            self.base_dir(state),
        )

    def _deliver(self, state: DocState, analysis: Analysis) -> None:
        if self.caps.pull_diagnostics:
            return
        self.publish(state.uri, self.diagnostics(state, analysis), analysis.version)

    def diagnostics(self, state: DocState, analysis: Analysis) -> list[types.Diagnostic]:
        """The analysis's, and where the project's settings file is broken, one saying so in the document itself."""
        found = list(analysis.diagnostics)
        problem = self.settings_problems.get(state.uri)
        if problem is not None and analysis.status == CHECKED:
            found.append(
                types.Diagnostic(
                    range=analysis.index.range(0, 0),
                    message=f"settings not used: {problem}; this document is checked with the default settings",
                    severity=types.DiagnosticSeverity.Warning,
                    source="mergelint",
                    related_information=_settings_file_location(problem),
                )
            )
        return found

    def publish(self, uri: str, diagnostics, version=None) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=list(diagnostics), version=version)
        )

    async def current(self, uri: str) -> tuple[DocState, Analysis] | None:
        state = self.state(uri)
        if state is None:
            return None
        analysis = await self.scheduler.current(state)
        if analysis is None or state.closed:
            return None
        return state, analysis

    def recheck_all(self) -> None:
        self.settings_generation += 1
        for state in list(self.docs.values()):
            self.scheduler.request(state)
        if self.caps.pull_diagnostics and self.caps.diagnostic_refresh:
            try:
                self.workspace_diagnostic_refresh(None)
            except Exception:  # noqa: BLE001
                log.exception("workspace/diagnostic/refresh failed")

    # --- settings -------------------------------------------------------------------

    def settings_files_changed(self) -> None:
        """Read them again, and tell again about one that is (still, or newly) broken."""
        settings.forget_project_files()
        self._told.clear()
        self.recheck_all()

    def apply_settings(self, options) -> None:
        """Settings from workspace/configuration or didChangeConfiguration, laid over initializationOptions."""
        parsed, problems = settings.parse({**self.initial_settings, **settings.section(options)})
        for problem in problems:
            self.tell_once(f"settings: {problem}")
        if parsed != self.client_settings:
            self.client_settings = parsed
            self.recheck_all()

    async def fetch_settings(self) -> None:
        if not self.caps.configuration:
            return
        try:
            params = types.ConfigurationParams(items=[types.ConfigurationItem(section=settings.SECTION)])
            result = await asyncio.wait_for(self.workspace_configuration_async(params), 10)
        except Exception as e:  # noqa: BLE001 - a client that cannot answer keeps what it sent before
            log.info("workspace/configuration unavailable: %s", e)
            return
        if result and isinstance(result[0], dict):
            self.apply_settings(result[0])


def _settings_file_location(problem: SettingsError) -> list[types.DiagnosticRelatedInformation] | None:
    """The line of the settings file at fault, for the editor to go to."""
    if not (problem.path and os.path.isfile(problem.path)):  # not a file: the directory, for an unexpected error
        return None
    line = (problem.line or 1) - 1
    at = types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))
    return [types.DiagnosticRelatedInformation(location=types.Location(uri=from_fs_path(problem.path), range=at), message=str(problem))]


def _inspector(server: MergelintServer, state: DocState):
    effective, _ = settings.effective(state.directory, server.client_settings)
    return facts.inspector(server.base_dir(state), effective.online)


def build() -> MergelintServer:
    server = MergelintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: MergelintServer, params: types.InitializeParams):
        ls.caps = Resolved.of(params.capabilities)
        ls.initial_settings = settings.section(params.initialization_options)
        parsed, problems = settings.parse(ls.initial_settings)
        ls.client_settings = parsed
        for problem in problems:
            log.warning("settings: %s", problem)
        if ls.caps.pull_diagnostics:
            ls.feature(
                types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(identifier=DIAGNOSTIC_ID, inter_file_dependencies=False, workspace_diagnostics=False),
            )(pull_diagnostics)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: MergelintServer, params: types.InitializedParams):
        registrations = []
        if ls.caps.configuration_registration:
            registrations.append(
                types.Registration(
                    id=f"mergelint-configuration-{ls.session}",
                    method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                    register_options=types.DidChangeConfigurationRegistrationOptions(section=settings.SECTION),
                )
            )
        if ls.caps.watched_files_registration:
            registrations.append(
                types.Registration(
                    id=f"mergelint-settings-files-{ls.session}",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[types.FileSystemWatcher(glob_pattern=_SETTINGS_FILES)]
                    ),
                )
            )
        if registrations:
            try:
                await asyncio.wait_for(
                    ls.client_register_capability_async(types.RegistrationParams(registrations=registrations)), 10
                )
            except Exception as e:  # noqa: BLE001
                log.info("client/registerCapability refused: %s", e)
        await ls.fetch_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: MergelintServer, params: types.DidChangeConfigurationParams):
        sent = params.settings
        if isinstance(sent, dict) and isinstance(sent.get(settings.SECTION), dict):
            ls.apply_settings(sent)
        elif ls.caps.configuration:
            await ls.fetch_settings()
        elif isinstance(sent, dict) and sent:
            ls.apply_settings(sent)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: MergelintServer, params: types.DidChangeWatchedFilesParams):
        ls.settings_files_changed()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MergelintServer, params: types.DidOpenTextDocumentParams):
        item = params.text_document
        path = to_fs_path(item.uri) or item.uri
        if not is_yaml(item.language_id, path):
            return
        settings.forget_project_files()  # a settings file may have changed while nothing was open
        key = unquote(item.uri)
        old = ls.docs.get(key)
        state = DocState(item.uri, path, item.language_id, generation=(old.generation + 1) if old else 1)
        if old is not None:
            old.closed = True
        ls.docs[key] = state
        ls.scheduler.request(state)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MergelintServer, params: types.DidChangeTextDocumentParams):
        state = ls.state(params.text_document.uri)
        if state is None:
            return
        state.generation += 1
        ls.scheduler.request(state)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MergelintServer, params: types.DidSaveTextDocumentParams):
        name = os.path.basename(to_fs_path(params.text_document.uri) or "")
        if name in ("pyproject.toml", ".mergelint.toml"):
            ls.settings_files_changed()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MergelintServer, params: types.DidCloseTextDocumentParams):
        state = ls.docs.pop(unquote(params.text_document.uri), None)
        if state is None:
            return
        state.closed = True
        ls.settings_problems.pop(state.uri, None)
        ls.scheduler._wake(state)
        if not ls.caps.pull_diagnostics:
            ls.publish(state.uri, [])

    async def pull_diagnostics(ls: MergelintServer, params: types.DocumentDiagnosticParams):
        found = await ls.current(params.text_document.uri)
        if found is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        state, analysis = found
        result_id = f"{ls.session}:{analysis.key[0]}:{analysis.key[1]}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=ls.diagnostics(state, analysis), result_id=result_id)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, actions.FIX_ALL],
            resolve_provider=True,
        ),
    )
    async def code_action(ls: MergelintServer, params: types.CodeActionParams):
        found = await ls.current(params.text_document.uri)
        if found is None:
            return None
        state, analysis = found
        # Fixes may parse the text again (and fix-all re-checks it): off the event loop.
        loop = asyncio.get_running_loop()
        found_actions = await loop.run_in_executor(
            None, actions.code_actions, analysis, state.uri, analysis.version, params, ls.caps
        )
        return found_actions or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: MergelintServer, action: types.CodeAction):
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get(actions.FIX_ALL_DATA)
        if action.edit is not None or not isinstance(uri, str):
            return action
        found = await ls.current(uri)
        if found is None:
            return action
        state, analysis = found
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, actions.resolve, action, analysis, state.uri, ls.caps)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[":", "/"], resolve_provider=False),
    )
    async def complete(ls: MergelintServer, params: types.CompletionParams):
        found = await ls.current(params.text_document.uri)
        if found is None:
            return None
        state, analysis = found
        if not _features_apply(analysis):
            return types.CompletionList(is_incomplete=False, items=[])
        # local model folders relative to where the checks resolve them (see base_dir)
        return completion.complete(analysis.index, params.position, ls.caps, ls.base_dir(state), ls._folders())

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(ls: MergelintServer, params: types.HoverParams):
        found = await ls.current(params.text_document.uri)
        if found is None:
            return None
        state, analysis = found
        if not _features_apply(analysis):
            return None
        inspect_ = _inspector(ls, state)
        loop = asyncio.get_running_loop()
        # Model facts read files (and the network when allowed): off the event loop.
        return await loop.run_in_executor(None, hover.hover, analysis, params.position, ls.caps, inspect_)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    async def document_symbol(ls: MergelintServer, params: types.DocumentSymbolParams):
        found = await ls.current(params.text_document.uri)
        if found is None:
            return None
        state, analysis = found
        if not _features_apply(analysis):
            return []
        loop = asyncio.get_running_loop()
        found_symbols = await loop.run_in_executor(None, lambda: symbols.document_symbols(tree(analysis), analysis.index))
        if ls.caps.hierarchical_symbols:
            return found_symbols
        return symbols.flatten(found_symbols, state.uri)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    async def goto_definition(ls: MergelintServer, params: types.DefinitionParams):
        found = await ls.current(params.text_document.uri)
        if found is None:
            return None
        state, analysis = found
        if analysis.status in (BINARY, TOO_LARGE):
            return None
        inspect_ = _inspector(ls, state)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, definition.target, analysis, params.position, inspect_)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MergelintServer, params):
        ls.scheduler.shutdown()

    return server


def _features_apply(analysis: Analysis) -> bool:
    """Whether completion, hover and symbols answer: a readable document that looks like a merge config."""
    return analysis.status not in (BINARY, TOO_LARGE) and is_candidate(analysis.text)


def run(tcp: str | None = None) -> None:
    """Start the server: stdio, or a TCP listener at HOST:PORT (for debugging)."""
    logging.basicConfig(level=os.environ.get("MERGELINT_LOG", "WARNING").upper(), format="mergelint-lsp %(levelname)s %(name)s: %(message)s")
    server = build()
    # Everything imported so far lives as long as the server: keep the cyclic collector from
    # rescanning it (the checks allocate a great deal; older generations get collected often).
    gc.collect()
    gc.freeze()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        stdio.serve(server)


__all__ = ["MergelintServer", "build", "run"]
