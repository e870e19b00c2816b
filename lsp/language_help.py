"""What may be written where, and what it means: read from merge_core, never copied.

Structure, key descriptions and closed sets of values come from the JSON Schema of the
document's tool (merge_core.schemas: mergekit-yaml's built from the registry, mergekit-moe's
from its words; a new format plugs in there); parameters, their scopes, defaults, bounds and
docs from the method registry itself. Paths are as in `lsp.context`: keys and "[]" for list
items; the name of a module under `modules:` may be anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from merge_core import language
from merge_core.language import PARAMETERS, is_per_model
from merge_core.method_kit.spec import MergeMethod, Param, Scope
from merge_core.methods import METHODS
from merge_core.schemas import schema_for
from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

_REFERENCE_DEF = "#/$defs/modelReference"


def schema(tool: Tool = Tool.YAML) -> dict:
    """The schema of a document of `tool`; a tool without one has an empty one."""
    return schema_for(tool) or {}


def _deref(node: dict, defs: dict) -> dict:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        name = node["$ref"].rsplit("/", 1)[-1]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**defs.get(name, {}), **extra}
        seen += 1
    return node if isinstance(node, dict) else {}


def _branches(node: dict, defs: dict) -> list[dict]:
    node = _deref(node, defs)
    out = [node]
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key, []):
            out.extend(_branches(branch, defs))
    return out


def _step(node: dict, step: str, defs: dict) -> list[dict]:
    found = []
    for branch in _branches(node, defs):
        if step == "[]":
            if "items" in branch:
                found.append(branch["items"])
        else:
            props = branch.get("properties", {})
            if step in props:
                found.append(props[step])
            elif isinstance(branch.get("additionalProperties"), dict):
                found.append(branch["additionalProperties"])
    return found


def _raw_at(path, tool: Tool) -> tuple[list[dict], dict]:
    """The schemas at `path` as written (a `$ref` not yet followed), and the `$defs` they refer to."""
    root = schema(tool)
    defs = root.get("$defs", {})
    nodes = [root]
    for step in path:
        nodes = [n for node in nodes for n in _step(node, step, defs)]
        if not nodes:
            break
    return nodes, defs


def schema_at(path, tool: Tool = Tool.YAML) -> list[dict]:
    """Every schema the value at `path` may be described by (branches of anyOf kept apart)."""
    nodes, defs = _raw_at(path, tool)
    return [b for node in nodes for b in _branches(node, defs)]


def _is_reference(node: object) -> bool:
    """Whether a schema (as written) describes a model reference: a `$ref` to modelReference, a branch
    of its anyOf/oneOf that is one (`base_model: null | reference`), or a list whose items are one."""
    if not isinstance(node, dict):
        return False
    if node.get("$ref") == _REFERENCE_DEF:
        return True
    branches = [b for key in ("anyOf", "oneOf") for b in node.get(key, [])]
    return any(_is_reference(b) for b in branches) or _is_reference(node.get("items"))


def holds_reference(path, key: str, tool: Tool = Tool.YAML) -> bool:
    """Whether the value of `key` at `path` is a model reference: merge_core.language's places for
    mergekit-yaml (parts of the dict form included), the schema's modelReference for other tools."""
    if tool in MERGEKIT_YAML_TOOLS:
        return language.holds_reference(path, key)
    nodes, _ = _raw_at([*path, key], tool)
    return any(_is_reference(node) for node in nodes)


@functools.lru_cache(maxsize=None)
def reference_keys(tool: Tool = Tool.YAML) -> tuple[str, ...]:
    """The keys whose values are model references, anywhere in a document of `tool`."""
    if tool in MERGEKIT_YAML_TOOLS:
        return language.REFERENCE_WORDS
    root = schema(tool)
    found = [name for node in (root, *root.get("$defs", {}).values())
             for name, prop in node.get("properties", {}).items() if _is_reference(prop)]
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Key:
    name: str
    description: str
    collection: bool  # a mapping or list follows, on the next lines


def _is_collection(prop: dict, defs: dict) -> bool:
    branches = _branches(prop, defs)
    types: set = set()
    for b in branches:
        t = b.get("type")
        types.update(t if isinstance(t, list) else [t] if t else [])
        if "properties" in b or "items" in b or "additionalProperties" in b:
            types.add("object")
    return bool(types) and types <= {"object", "array", "null"}


def _description(prop: dict, defs: dict) -> str:
    for b in [prop, *_branches(prop, defs)]:
        if b.get("description"):
            return b["description"]
    for b in _branches(prop, defs):
        if b.get("title"):
            return b["title"]
    return ""


def is_parameters(path) -> bool:
    return bool(path) and path[-1] == PARAMETERS


def keys_at(path, tool: Tool = Tool.YAML) -> list[Key]:
    """The keys a mapping at `path` may hold (parameters are answered by `parameters_for`)."""
    defs = schema(tool).get("$defs", {})
    seen: dict[str, Key] = {}
    for node in schema_at(path, tool):
        for name, prop in node.get("properties", {}).items():
            if name not in seen:
                seen[name] = Key(name, _description(prop, defs), _is_collection(prop, defs))
    return list(seen.values())


def key_description(path, key: str, tool: Tool = Tool.YAML) -> str:
    defs = schema(tool).get("$defs", {})
    for node in schema_at(path, tool):
        prop = node.get("properties", {}).get(key)
        if prop is not None:
            return _description(prop, defs)
    return ""


def enum_values(path, key: str, tool: Tool = Tool.YAML) -> list[tuple[str, str]]:
    """The values the schema names for `key` at `path` (its enum, const and examples), each with
    what it means (the schema's enumDescriptions; "" where it has none)."""
    values: dict[str, str] = {}
    for node in schema_at([*path, key], tool):
        words = node.get("enumDescriptions", [])
        for n, v in enumerate(node.get("enum", [])):
            if isinstance(v, str):
                values.setdefault(v, words[n] if n < len(words) else "")
        for v in [node.get("const"), *node.get("examples", [])]:
            if isinstance(v, str):
                values.setdefault(v, "")
    return list(values.items())


def value_description(path, key: str, value: object, tool: Tool = Tool.YAML) -> str:
    return dict(enum_values(path, key, tool)).get(value, "") if isinstance(value, str) else ""


def parameters_for(method: MergeMethod | None, path) -> list[tuple[Param, list[str]]]:
    """Parameters that may be written in a `parameters:` at `path`, with the methods that declare each.

    With a known method: its own parameters, per-model ones only under a model or source.
    Without one: every parameter any method declares.
    """
    only_per_model = is_per_model(path)
    if method is not None:
        params = method.per_model_params if only_per_model else method.params
        return [(p, [method.name]) for p in params]
    found: dict[str, tuple[Param, list[str]]] = {}
    for m in sorted(METHODS.values(), key=lambda m: m.name):
        for p in m.params:
            if only_per_model and not p.scope.per_model:
                continue
            if p.name in found:
                found[p.name][1].append(m.name)
            else:
                found[p.name] = (p, [m.name])
    return list(found.values())


def owners(name: str) -> list[str]:
    return sorted(m.name for m in METHODS.values() if m.param(name) is not None)


# --- words ------------------------------------------------------------------------

_SCOPE_WORDS = {
    Scope.SHARED: "shared: read from top-level, module or slice `parameters:`, never from a model's own",
    Scope.INPUT: "per model: read for every input, the base model included",
    Scope.NON_BASE: "per model: read for every input except the base model",
}
_BASE_WORDS = {"required": "required", "optional": "optional", "ignored": "not used"}


def scope_words(param: Param) -> str:
    return _SCOPE_WORDS[param.scope]


def param_summary(param: Param) -> str:
    """One line: type, scope, default."""
    default = "required" if param.required else f"default {param.default_text()}"
    where = "shared" if param.scope is Scope.SHARED else "per model"
    return f"{param.type.value}, {where}, {default}"


def param_markdown(param: Param, method: MergeMethod | None, declared_by: list[str] | None = None) -> str:
    head = f"**{param.name}**"
    if method is not None:
        head += f" — parameter of `{method.name}`"
    elif declared_by:
        head += " — parameter of " + ", ".join(f"`{n}`" for n in declared_by)
    lines = [head, "", param.doc, "", f"- type: {param.type.value}", f"- {scope_words(param)}"]
    lines.append(f"- default: {param.default_text()}" if not param.required else "- required")
    if param.bounds is not None:
        why = f" ({param.bounds.why})" if param.bounds.why else ""
        lines.append(f"- sensible range: {param.bounds.describe()}{why}")
    return "\n".join(lines)


def method_markdown(method: MergeMethod) -> str:
    lines = [
        f"**{method.name}** — {method.pretty_name}",
        "",
        method.doc,
        "",
        f"- base_model: {_BASE_WORDS[method.base.value]}",
        f"- inputs: {method.contract.describe()}",
    ]
    if method.params:
        lines.append("- parameters:")
        for p in method.params:
            lines.append(f"  - `{p.name}` ({param_summary(p)})")
    else:
        lines.append("- parameters: none")
    if method.reference_url:
        lines += ["", f"Reference: {method.reference_url}"]
    return "\n".join(lines)


def method_detail(method: MergeMethod) -> str:
    return f"{method.pretty_name} · base {_BASE_WORDS[method.base.value]} · {method.contract.describe()}"
