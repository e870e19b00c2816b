"""The `mergelint/kind` notification: which mergekit command a document is for (mergekit-yaml,
-moe, -multi, -evolve), as its check decided, so that the client can show it in its status bar.

Sent when a document's kind is first known or changes; `kind` and `command` are null for a
document that is not checked (not a merge config, too large, checks disabled).
"""

from __future__ import annotations

from merge_core.tools import Tool

METHOD = "mergelint/kind"


def params(uri: str, tool: Tool | None) -> dict:
    return {"uri": uri, "kind": tool.value if tool else None, "command": tool.command if tool else None}
