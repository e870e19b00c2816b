"""The published copies of the schemas: one file per tool under `schema/`."""

from __future__ import annotations

import json
import os

from merge_core.tools import Tool

DEFAULT_PATH = os.path.join("schema", "mergekit-config.schema.json")
# Each tool's schema file, beside mergekit-yaml's (which mergekit-multi's documents share).
PATHS = {
    Tool.YAML: DEFAULT_PATH,
    Tool.EVOLVE: os.path.join("schema", "mergekit-evolve.schema.json"),
}


def build(tool: Tool = Tool.YAML) -> dict:
    if tool is Tool.EVOLVE:
        from merge_core.evolve.schema import build_schema
    else:
        from merge_core.schema import build_schema
    return build_schema()


def render(tool: Tool = Tool.YAML) -> str:
    return json.dumps(build(tool), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | None = None) -> str:
    """Write mergekit-yaml's schema to `path`, or every tool's to its file; returns what was written."""
    targets = {Tool.YAML: path} if path else PATHS
    for tool, target in targets.items():
        with open(target, "w", encoding="utf-8") as f:
            f.write(render(tool))
    return ", ".join(targets.values())
