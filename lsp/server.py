"""The mergelint language server (pygls 2.x): one line per LSP method, and what the requests share.

Each method is one module in lsp/requests/ or lsp/notifications/ (ruff's server is laid
out so); ROUTES below says which module answers which method, and where it runs.
Diagnostics are pushed (`textDocument/publishDiagnostics`), or pulled
(`textDocument/diagnostic`) when the client supports pulling; never both. Only
YAML documents are looked at, and only those that look like merge configs get
diagnostics. Bad input never stops the server: a malformed message is answered
with a JSON-RPC error where it has an id, a request about an unknown document with
nothing, and a handler that fails answers that one request with an error.
"""

from __future__ import annotations

import asyncio
import enum
import gc
import json
import logging
import os
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Callable
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from merge_core.tools import Tool
from mergelint import __version__
from mergelint.checker import unknown_rule_names
from mergelint.settings import SettingsError

from . import editor_settings, kind_status, stdio
from .analysis import CHECKED, Analysis, Snapshot
from .capabilities import Resolved
from .documents import DocState
from .notifications import (
    did_change,
    did_change_configuration,
    did_change_watched_files,
    did_close,
    did_open,
    did_save,
    initialized,
)
from .plans import Plans
from .protocol import Protocol
from .requests import (
    DocumentRequest,
    code_action,
    code_action_resolve,
    code_lens,
    completion,
    definition,
    diagnostic,
    document_symbol,
    hover,
    initialize,
    inlay_hint,
    prepare_rename,
    references,
    rename,
    shutdown,
)
from .scheduler import Scheduler

log = logging.getLogger("mergelint.lsp")


class Run(enum.Enum):
    """How a method's `handle` is called."""

    AS_IS = "as-is"  # handle(ls, params), as pygls calls it
    ON_LOOP = "on-loop"  # a document request, answered on the event loop (quick: no file is read)
    ON_WORKER = "on-worker"  # a document request that parses or reads model files: on a thread, so
    # that the loop keeps reading the client's messages meanwhile


@dataclass(frozen=True)
class Route:
    module: ModuleType  # METHOD, OPTIONS (optional) and handle; see lsp/requests/__init__.py
    run: Run = Run.AS_IS
    client_needs: Callable[[Resolved], bool] | None = None  # routed at initialize, for such clients only


ROUTES = (
    Route(initialize),
    Route(initialized),
    Route(shutdown),
    Route(did_change_configuration),
    Route(did_change_watched_files),
    Route(did_open),
    Route(did_change),
    Route(did_save),
    Route(did_close),
    Route(diagnostic, Run.ON_LOOP, client_needs=lambda caps: caps.pull_diagnostics),
    Route(code_action, Run.ON_WORKER),  # fixes may parse the text again, and fix-all checks it again
    Route(code_action_resolve, Run.ON_WORKER),
    Route(completion, Run.ON_LOOP),
    Route(hover, Run.ON_WORKER),  # model facts read files, and the network where allowed
    Route(document_symbol, Run.ON_WORKER),
    Route(definition, Run.ON_WORKER),
    Route(references, Run.ON_WORKER),
    Route(prepare_rename, Run.ON_WORKER),
    Route(rename, Run.ON_WORKER),  # re-parses the renamed text to check that it reads back
    Route(inlay_hint, Run.ON_WORKER),  # layer counts read the models' config.json
    Route(code_lens, Run.ON_WORKER),  # waits for the plan, made in a child process (lsp/plans.py)
)


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
        self.client_settings = editor_settings.ClientSettings()
        self.settings_generation = 0
        self.docs: dict[str, DocState] = {}
        self.scheduler = Scheduler(self._snapshot, self._deliver, self.key_now)
        self.plans = Plans()
        self.session = uuid.uuid4().hex[:8]
        self._told: set[str] = set()
        self.settings_problems: dict[str, SettingsError] = {}  # document URI -> why its project settings are not used
        self.kinds: dict[str, Tool | None] = {}  # document URI -> the kind last told to the client

    # --- routes ---------------------------------------------------------------------

    def route(self, route: Route) -> None:
        handler = route.module.handle if route.run is Run.AS_IS else _document_handler(route)
        self.feature(route.module.METHOD, getattr(route.module, "OPTIONS", None))(handler)

    def route_for_client(self) -> None:
        """At initialize: the methods only some clients get (pygls advertises what is routed)."""
        for route in ROUTES:
            if route.client_needs is not None and route.client_needs(self.caps):
                self.route(route)

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
            for folder in self.folders():
                if (directory + os.sep).startswith(folder.rstrip(os.sep) + os.sep) and (best is None or len(folder) > len(best)):
                    best = folder
            return best or directory
        folders = self.folders()
        return folders[0] if folders else None

    def folders(self) -> list[str]:
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

    def _snapshot(self, state: DocState) -> Snapshot:
        doc = self.text_document(state)
        text = doc.source if doc is not None else ""
        version = doc.version if doc is not None else None
        effective, problem = editor_settings.effective(state.directory or self.base_dir(state), self.client_settings)
        if problem is not None:
            self.settings_problems[state.uri] = problem
            self.tell_once(f"{problem}; the documents under it are checked with the default settings")
        else:
            self.settings_problems.pop(state.uri, None)
        unknown = unknown_rule_names(effective)
        if unknown:
            self.tell_once(f"unknown rule(s) in the settings: {', '.join(unknown)} (see `mergelint rules`)")
        encoding = str(self.workspace.position_encoding or "utf-16")
        return Snapshot(self.key_now(state), version, text, state.path, effective, encoding, self.client_settings.enable, self.base_dir(state))

    def _deliver(self, state: DocState, analysis: Analysis) -> None:
        self.tell_kind(state.uri, analysis.tool)
        if self.caps.pull_diagnostics:
            return
        self.publish(state.uri, self.diagnostics(state, analysis), analysis.version)

    def tell_kind(self, uri: str, tool: Tool | None) -> None:
        """The client's status bar shows which mergekit command the document is for: tell it on change."""
        if uri in self.kinds and self.kinds[uri] is tool:
            return
        self.kinds[uri] = tool
        self.protocol.notify(kind_status.METHOD, kind_status.params(uri, tool))

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

    async def document_request(self, uri: str) -> DocumentRequest | None:
        """What a request about `uri` reads, once its analysis is current; None for a document not open."""
        state = self.state(uri)
        if state is None:
            return None
        analysis = await self.scheduler.current(state)
        if analysis is None or state.closed:
            return None
        return DocumentRequest(
            uri=state.uri,
            analysis=analysis,
            caps=self.caps,
            session=self.session,
            diagnostics=self.diagnostics(state, analysis),
            folders=self.folders(),
            plans=self.plans,
        )

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
        editor_settings.forget_project_files()
        self._told.clear()
        self.recheck_all()

    def apply_settings(self, options) -> None:
        """Settings from workspace/configuration or didChangeConfiguration, laid over initializationOptions."""
        parsed, problems = editor_settings.parse({**self.initial_settings, **editor_settings.section(options)})
        for problem in problems:
            self.tell_once(f"settings: {problem}")
        if parsed != self.client_settings:
            self.client_settings = parsed
            self.recheck_all()

    async def fetch_settings(self) -> None:
        if not self.caps.configuration:
            return
        try:
            params = types.ConfigurationParams(items=[types.ConfigurationItem(section=editor_settings.SECTION)])
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


def build() -> MergelintServer:
    server = MergelintServer()
    for route in ROUTES:
        if route.client_needs is None:
            server.route(route)
    return server


def _document_handler(route: Route):
    """The preamble every document request shares: find the document, wait for its current
    analysis, take a DocumentRequest of it on the loop, and call the module's `handle`."""
    module = route.module
    uri_of = getattr(module, "uri_of", lambda params: params.text_document.uri)
    unknown = getattr(module, "unknown", lambda params: None)

    async def handler(ls: MergelintServer, params):
        uri = uri_of(params)
        request = await ls.document_request(uri) if uri is not None else None
        if request is None:
            return unknown(params)
        if route.run is Run.ON_WORKER:
            return await asyncio.get_running_loop().run_in_executor(None, module.handle, request, params)
        return module.handle(request, params)

    return handler


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
