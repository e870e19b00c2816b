"""Each mergekit command's JSON Schema and the file it is published as, in one table.

The checker validates a document against its tool's schema, `mergelint schema --write`
publishes them all and the editor completes and explains keys from them; a new format
adds one line here. A mergekit-multi document is a mergekit-yaml config plus its `name:`.
"""

from __future__ import annotations

import functools
import importlib

from .tools import Tool

# tool -> (the module and its function that make it, the published file's name under schema/)
_SCHEMAS = {
    Tool.YAML: ("merge_core.schema", "build_schema", "mergekit-config.schema.json"),
    Tool.MULTI: ("merge_core.schema", "build_multi_schema", "mergekit-multi.schema.json"),
    Tool.MOE: ("merge_core.moe.schema", "build_schema", "mergekit-moe.schema.json"),
    Tool.EVOLVE: ("merge_core.evolve.schema", "build_schema", "mergekit-evolve.schema.json"),
}
PUBLISHED = {tool: file for tool, (_, _, file) in _SCHEMAS.items()}


def schema_tool(tool: Tool) -> Tool | None:
    """`tool` itself when it has a schema, or None: no schema yet."""
    return tool if tool in _SCHEMAS else None


@functools.lru_cache(maxsize=None)
def schema_for(tool: Tool) -> dict | None:
    """The schema of a document of `tool` (built once; callers must not change it), or None."""
    if schema_tool(tool) is None:
        return None
    module, builder, _ = _SCHEMAS[tool]
    return getattr(importlib.import_module(module), builder)()
