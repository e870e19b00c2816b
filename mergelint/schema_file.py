"""The published copies of the schemas: `schema/<file>` for each tool merge_core.schemas lists."""

from __future__ import annotations

import json
import os

from merge_core.schemas import PUBLISHED, schema_for
from merge_core.tools import Tool

def render(tool: Tool = Tool.YAML) -> str:
    return json.dumps(schema_for(tool), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | None = None) -> list[str]:
    """Write mergekit-yaml's schema to `path`, or, without one, every tool's to schema/."""
    if path is not None:
        targets = {path: Tool.YAML}
    else:
        targets = {os.path.join("schema", file): tool for tool, file in PUBLISHED.items()}
    for target, tool in targets.items():
        with open(target, "w", encoding="utf-8") as f:
            f.write(render(tool))
    return list(targets)
