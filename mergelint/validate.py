"""JSON Schema validation of a document, with each error mapped onto its node.

Each tool's schema is built at run time (merge_core.schemas: the same functions
write the published files): mergekit-yaml's and mergekit-multi's from the method registry,
mergekit-moe's and mergekit-evolve's from their words. Validation uses jsonschema-rs: it loads in a few
milliseconds and validates a several-thousand-line config in a few more, where
the pure-Python validator costs a large share of the cold-start budget alone.
"""

from __future__ import annotations

import datetime
import enum
import functools
import math
from dataclasses import dataclass, field

from merge_core.schemas import schema_for, schema_tool
from merge_core.tools import Tool

from .document import Node

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "empty",
}


class IssueKind(enum.Enum):
    """What a schema violation is; each rule picks the kinds it explains."""

    UNKNOWN_KEY = "unknown-key"  # a key the schema does not allow here
    PARAMETER_NAME = "parameter-name"  # a name under parameters: no method declares (unknown-parameter's)
    MISSING = "missing"  # a required key, or none of models/slices/modules
    CONFLICT = "conflict"  # keys of which only one may be given
    TYPE = "type"  # a value of the wrong type
    ENUM = "enum"  # a value outside a closed set
    SHAPE = "shape"  # a list or mapping of the wrong size, and anything else


@dataclass
class SchemaIssue:
    """One schema violation, located.

    `path` is the instance path (keys and list indices); `node` the node it
    names, `key` that node's key node when its parent is a mapping.
    """

    kind: IssueKind
    path: tuple
    node: Node | None
    key: Node | None
    message: str
    name: str | None = None  # the unknown or missing key
    options: list = field(default_factory=list)  # allowed keys or values


@functools.lru_cache(maxsize=None)
def _validator(tool: Tool):
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema_for(tool))


_AS_IS = (str, int, bool, type(None))


def to_json(value: object) -> object:
    """YAML values as JSON: safe_load can also give dates, bytes, sets and non-string keys."""
    if type(value) in _AS_IS:  # the common leaves, as the tests below would return them
        return value
    if isinstance(value, dict):
        return {k if type(k) is str else _key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def _key(k: object) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    return str(k)


def _child(node: Node | None, step) -> tuple[Node | None, Node | None]:
    if node is None:
        return None, None
    if isinstance(step, int):
        return (node.items[step], None) if node.is_seq and step < len(node.items) else (None, None)
    for k, v in reversed(node.pairs):
        if _key(k.value) == step:
            return v, k
    return None, None


def _children(node: Node | None) -> dict[str, tuple[Node, Node]]:
    """A mapping's (value, key) nodes by key, the last of a repeated key winning as in _child:
    one lookup per name, where thousands of unknown keys would each scan every pair."""
    return {_key(k.value): (v, k) for k, v in node.pairs} if node is not None else {}


def locate(root: Node, path) -> tuple[Node | None, Node | None]:
    node, key = root, None
    for step in path:
        node, key = _child(node, step)
    return node, key


def _schema_at(schema: dict, path) -> dict:
    sub = schema
    for step in path:
        sub = sub[step]
    return sub


def _describe(node: Node | None) -> str:
    if node is None:
        return "nothing"
    if node.is_map:
        return "a mapping"
    if node.is_seq:
        return "a list"
    value = node.value
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean {node.value!r}".replace("True", "true").replace("False", "false")
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return f"{value!r}" if isinstance(value, str) else type(value).__name__


def _where(path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out or "the document"


def validate(root: Node, tool: Tool = Tool.YAML) -> list[SchemaIssue]:
    """The schema's complaints about a document of `tool` (none for a tool without a schema)."""
    tool = schema_tool(tool)
    if tool is None:
        return []
    schema = schema_for(tool)
    issues: list[SchemaIssue] = []
    seen: set = set()
    for error in _validator(tool).iter_errors(to_json(root.value)):
        path = tuple(error.instance_path)
        kind = type(error.kind).__name__
        signature = (path, kind, str(error.message))
        if signature in seen:
            continue
        seen.add(signature)
        issues.extend(_issues(root, path, kind, error, schema))
    return issues


def _issues(root: Node, path: tuple, kind: str, error, schema: dict) -> list[SchemaIssue]:
    node, key = locate(root, path)
    where = _where(path)
    schema_path = list(error.schema_path)
    if kind == "AdditionalProperties":
        allowed = sorted(_schema_at(schema, schema_path[:-1]).get("properties", {}))
        out = []
        children = _children(node)
        for name in error.kind.unexpected:
            child, child_key = children.get(name, (None, None))
            out.append(
                SchemaIssue(IssueKind.UNKNOWN_KEY, path + (name,), child, child_key, f"unknown key '{name}'", name, allowed)
            )
        return out
    if kind == "PropertyNames":
        # The property name rides in the message ('"t" is not one of ...'); parameter
        # names are judged by the unknown-parameter rule, which knows scopes.
        return [SchemaIssue(IssueKind.PARAMETER_NAME, path, node, key, str(error.message))]
    if kind == "Required":
        name = error.kind.property
        return [SchemaIssue(IssueKind.MISSING, path, node, key, f"missing required key '{name}' in {where}", name)]
    if kind == "Enum":
        options = list(error.kind.options)
        return [SchemaIssue(IssueKind.ENUM, path, node, key, f"{_describe(node)} is not allowed here", options=options)]
    if kind == "Type":
        wanted = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in error.kind.types)
        return [SchemaIssue(IssueKind.TYPE, path, node, key, f"{where} must be {wanted}, not {_describe(node)}")]
    if kind == "AnyOf":
        title = _schema_at(schema, schema_path[:-1]).get("title")
        wanted = title or "a different kind of value"
        return [SchemaIssue(IssueKind.TYPE, path, node, key, f"{where} must be {wanted}, not {_describe(node)}")]
    if kind in ("OneOfNotValid", "OneOfMultipleValid"):
        options = [s["required"][0] for s in _schema_at(schema, schema_path) if "required" in s]
        present = [o for o in options if node is not None and node.is_map and node.get(o) is not None]
        listed = ", ".join(options[:-1]) + " or " + options[-1]
        if present:
            # Located on the key that conflicts with the first one, not the whole mapping.
            message = f"give only one of {listed}: found {', '.join(present)}"
            return [SchemaIssue(IssueKind.CONFLICT, path, node, node.key_node(present[-1]), message, options=options)]
        message = f"exactly one of {listed} must be given, and not empty"
        return [SchemaIssue(IssueKind.MISSING, path, node, key, message, options=options)]
    if kind in ("MinItems", "MaxItems"):
        if _schema_at(schema, schema_path[:-1]).get("maxItems") == 2:
            return [SchemaIssue(IssueKind.SHAPE, path, node, key, f"{where} must have exactly 2 items: [start, end]")]
        return [SchemaIssue(IssueKind.SHAPE, path, node, key, f"{where} must not be empty")]
    if kind == "MinProperties":
        return [SchemaIssue(IssueKind.SHAPE, path, node, key, f"{where} must not be empty")]
    return [SchemaIssue(IssueKind.SHAPE, path, node, key, f"{where}: {error.message}")]
