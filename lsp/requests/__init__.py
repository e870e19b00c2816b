"""The requests, one module each (as ruff's server has them); server.py's ROUTES says how each runs.

Each module has METHOD, OPTIONS where the server advertises some, and `handle`. A
request about a document is handled as `handle(request, params)` with a `DocumentRequest`,
once the document's current analysis is there; a document the server does not have is
answered by the module's `unknown(params)` (nothing, where it has none), and `uri_of(params)`
names the document where it is not `params.text_document.uri`. The lifecycle requests
(initialize, shutdown) are `handle(ls, params)`, as pygls calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from merge_core.inspect import Inspector

from ..analysis import BINARY, TOO_LARGE, Analysis
from ..capabilities import Resolved
from ..documents import is_candidate
from ..plans import Plans


@dataclass(frozen=True)
class DocumentRequest:
    """What a request reads of its document and of the server, taken on the event loop: a
    handler on the worker thread sees this, never the server's changing state."""

    uri: str
    analysis: Analysis
    caps: Resolved
    session: str  # this server's run: a result id from an earlier one is never "unchanged"
    diagnostics: list[types.Diagnostic]  # the analysis's, and one for a broken settings file
    folders: list[str]  # the workspace folders
    plans: Plans  # the merge plans of documents' texts, made in the background

    @property
    def base_dir(self) -> str:
        """Where relative model paths resolve (MergelintServer.base_dir), as the check resolved them."""
        return self.analysis.context.base_dir

    @property
    def inspector(self) -> Inspector:
        """Model facts, as the document's check resolves them."""
        return self.analysis.context.inspector

    @property
    def readable(self) -> bool:
        """Text, and small enough to be checked live."""
        return self.analysis.status not in (BINARY, TOO_LARGE)

    @property
    def features_apply(self) -> bool:
        """Whether completion, hover and symbols answer: a readable document that looks like a merge config."""
        return self.readable and is_candidate(self.analysis.text)
