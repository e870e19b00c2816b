"""Each mergekit command's JSON Schema and the file it is published as, in one table.

The checker validates a document against its tool's schema, `mergelint schema --write`
publishes them all and the editor completes and explains keys from them; a new format
adds one line here. A mergekit-multi document is a mergekit-yaml config.
"""

from __future__ import annotations

import functools
import importlib

from .tools import Tool

# tool -> (the module whose build_schema() makes it, the published file's name under schema/)
_SCHEMAS = {
    Tool.YAML: ("merge_core.schema", "mergekit-config.schema.json"),
    Tool.MOE: ("merge_core.moe.schema", "mergekit-moe.schema.json"),
}
_SAME_AS = {Tool.MULTI: Tool.YAML}
PUBLISHED = {tool: file for tool, (_, file) in _SCHEMAS.items()}


def schema_tool(tool: Tool) -> Tool | None:
    """The tool whose schema a document of `tool` is validated against, or None: no schema yet."""
    tool = _SAME_AS.get(tool, tool)
    return tool if tool in _SCHEMAS else None


@functools.lru_cache(maxsize=None)
def schema_for(tool: Tool) -> dict | None:
    """The schema of a document of `tool` (built once; callers must not change it), or None."""
    own = schema_tool(tool)
    return importlib.import_module(_SCHEMAS[own][0]).build_schema() if own is not None else None
