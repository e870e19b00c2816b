"""The published copies of the schemas: `schema/mergekit-config.schema.json` (mergekit-yaml) and
`schema/mergekit-multi.schema.json` (each document of a mergekit-multi stream)."""

from __future__ import annotations

import json
import os

DEFAULT_PATH = os.path.join("schema", "mergekit-config.schema.json")
MULTI_PATH = os.path.join("schema", "mergekit-multi.schema.json")


def render(multi: bool = False) -> str:
    from merge_core.schema import build_multi_schema, build_schema

    return json.dumps(build_multi_schema() if multi else build_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | None = None) -> str:
    """Write the mergekit-yaml schema to `path`; with no path, both schemas to their published files."""
    written = [(path, False)] if path else [(DEFAULT_PATH, False), (MULTI_PATH, True)]
    for target, multi in written:
        with open(target, "w", encoding="utf-8") as f:
            f.write(render(multi))
    return ", ".join(target for target, _ in written)
