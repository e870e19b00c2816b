"""The published copy of the schema: `schema/mergekit-config.schema.json`."""

from __future__ import annotations

import json
import os

DEFAULT_PATH = os.path.join("schema", "mergekit-config.schema.json")


def render() -> str:
    from merge_core.schema import build_schema

    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: str | None = None) -> str:
    path = path or DEFAULT_PATH
    with open(path, "w", encoding="utf-8") as f:
        f.write(render())
    return path
