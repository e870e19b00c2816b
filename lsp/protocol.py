"""The rules of LSP that pygls 2 leaves out, and bad messages answered with one log line each.

pygls answers any request before `initialize`, drops every message after `shutdown`
without an answer, and logs a traceback for a message whose params do not fit. LSP
and JSON-RPC 2.0 say what to do instead:

- before `initialize`, a request gets ServerNotInitialized (-32002); a notification is
  dropped (`exit` excepted); a second `initialize` gets InvalidRequest (-32600);
- after `shutdown`, a request gets InvalidRequest; a notification is dropped (`exit` excepted);
- a body that is not JSON gets ParseError (-32700), JSON that is not a message
  InvalidRequest, both with a null id;
- a request whose params have the wrong shape gets InvalidParams (-32602), naming the field;
  such a notification is dropped.

Each is logged in one line: a misbehaving client must not fill the editor's log with tracebacks.
"""

from __future__ import annotations

import json
import logging

from cattrs import transform_error
from cattrs.errors import ClassValidationError
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, RPCRequest

log = logging.getLogger("mergelint.lsp")


def _valid_id(msg_id) -> bool:
    return isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)


def _cause(error: Exception) -> str:
    if isinstance(error, ClassValidationError):
        return "; ".join(transform_error(error))
    return f"{type(error).__name__}: {error}"


class Protocol(LanguageServerProtocol):
    def __init__(self, server, converter):
        super().__init__(server, converter)
        self._initialize_received = False

    def reject(self, msg_id, error: JsonRpcException, why: str) -> None:
        """Answer a request (or, with a null id, a message that cannot be read) with `error`."""
        log.warning("%s: answered with error %d", why, error.code)
        self._send_data({"jsonrpc": self.VERSION, "id": msg_id, "error": {"code": error.code, "message": error.message}})

    def handle_body(self, body: bytes) -> bool:
        """One message as the transport framed it; False when it was not JSON."""
        try:
            data = json.loads(body)
        except ValueError as e:  # not UTF-8, or not JSON
            self.reject(None, JsonRpcParseError(f"Parse error: the message is not JSON ({e})"), f"a message that is not JSON ({e})")
            return False
        self.handle_message(self.structure_message(data) if isinstance(data, dict) else data)
        return True

    def structure_message(self, data):
        """pygls's, except that a request or notification whose params do not fit is answered or
        dropped here (None), logged in one line."""
        if "jsonrpc" not in data or "method" not in data or "error" in data:
            return super().structure_message(data)  # a nested object, or a response from the client
        method, msg_id = data["method"], data.get("id")
        is_request = "id" in data
        kind = self.get_message_type(method) if isinstance(method, str) else None
        if kind is None:  # an unknown method (answered MethodNotFound later): JSON-RPC lets params be left out
            kind, data = (JsonRPCRequestMessage if is_request else JsonRPCNotification), {"params": None, **data}
        try:
            return self._converter.structure(data, kind)
        except Exception as e:  # noqa: BLE001 - any shape cattrs cannot read
            why = f"{method!r} with params of the wrong shape: {_cause(e)}"
            if not is_request:
                log.warning("dropped the notification %s", why)
            elif _valid_id(msg_id):
                self.reject(msg_id, JsonRpcInvalidParams(f"Invalid params: {_cause(e)}"), f"the request {why}")
            else:
                self.reject(None, JsonRpcInvalidRequest("Invalid request: the id must be a number or a string"), f"a request {why}")
            return None

    def handle_message(self, message):
        if message is None:  # answered or dropped in structure_message
            return
        if not hasattr(message, "jsonrpc"):  # JSON, but not an object with "jsonrpc": [1, 2], "text", {}
            self.reject(None, JsonRpcInvalidRequest("Invalid request: not a JSON-RPC 2.0 message"), "JSON that is not a message")
            return
        method = getattr(message, "method", None)
        if method is None or method == types.EXIT or message.jsonrpc != self.VERSION:
            return super().handle_message(message)  # responses, exit, and pygls's own check of the version
        if self._shutdown:
            refusal = JsonRpcInvalidRequest(f"Invalid request: {method} after shutdown")
        elif method == types.INITIALIZE and self._initialize_received:
            refusal = JsonRpcInvalidRequest("Invalid request: initialize may be sent only once")
        elif method != types.INITIALIZE and not self._initialize_received:
            refusal = JsonRpcServerNotInitialized(f"Server not initialized: {method} before initialize")
        else:
            self._initialize_received = True
            return super().handle_message(message)
        if isinstance(message, RPCRequest):
            self.reject(message.id, refusal, f"the request {method!r}")
        else:
            log.warning("dropped the notification %r: %s", method, refusal.message)
