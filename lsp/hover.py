"""Hover: method and parameter docs from the registry, key docs from the schema, model facts, and
on a `# mergelint: disable=` comment each rule it names.

The parsed tree says exactly what is under the cursor; when the text does not parse
(mid-edit), the line alone is read instead.
"""

from __future__ import annotations

from lsprotocol import types

from merge_core.language import is_tokenizer_keyword
from merge_core.methods import METHODS
from merge_core.plan_text import size
from merge_core.references import ModelReferenceError, reference_from_value
from mergelint import suppressions
from mergelint.config_view import ConfigView

from . import language_help, layer_values, model_info, rule_docs
from .analysis import Analysis
from .capabilities import Resolved
from .context import at_spot, method_in, tool_in
from .documents import locate, tree
from .positions import LineIndex

def _param_of(path, key) -> str | None:
    """The parameter whose setting the cursor is in, if any."""
    if language_help.is_parameters(path) and key is not None:
        return str(key)
    for i in range(len(path) - 1):
        if path[i] == "parameters" and path[i + 1] != "[]":
            return path[i + 1]
    return None


def _param_markdown(name: str, method) -> str | None:
    param = method.param(name) if method is not None else None
    if param is not None:
        return language_help.param_markdown(param, method)
    owners = language_help.owners(name)
    if not owners:
        if method is not None:
            return f"**{name}** — `{method.name}` has no parameter `{name}`; mergekit ignores it."
        return None
    text = language_help.param_markdown(METHODS[owners[0]].param(name), None, owners)
    if method is not None:
        text = f"`{method.name}` does not read `{name}`; mergekit ignores it here.\n\n" + text
    return text


def _reference_markdown(value, inspect) -> str | None:
    try:
        ref = reference_from_value(value)
    except ModelReferenceError as e:
        return f"Not a valid model reference: {e.message}"
    if inspect is None:
        return None
    return model_info.reference_markdown(ref, inspect)


def _owner(kind: str, path, key):
    """The key and path a value belongs to (an item's are its list's)."""
    if kind == "item":
        return (path[-2] if len(path) >= 2 else None), path[:-2]
    return key, path


def _contribution(value, plan) -> str | None:
    """The bytes the merge reads from the model `value` names, from the document's plan."""
    report = plan.report if plan is not None else None
    if report is None or not report.get("read_bytes_by_model"):
        return None
    try:
        label = str(reference_from_value(value))
    except ModelReferenceError:
        return None
    read, total = report["read_bytes_by_model"].get(label), report["totals"]["read_bytes"]
    if read is None or not total:
        return None
    return f"**In this merge:** {size(read)} read from it, {read / total:.0%} of the {size(total)} the merge reads"


def _plan_markdown(kind: str, path, key, value, root, pos, inspect, plan) -> str | None:
    """What the plan adds: the output layers a `layer_range` makes, the bytes a model gives the merge."""
    key, path = _owner(kind, path, key)
    if key == "layer_range" and root is not None:
        return layer_values.produced(ConfigView(root), inspect, pos.line, pos.column)
    if kind != "key" and isinstance(value, str) and value and language_help.holds_reference(path, key):
        return _contribution(value, plan)
    return None


def _markdown(kind: str, path, key, value, method, inspect, tool) -> str | None:
    if kind == "key":
        if language_help.is_parameters(path):
            return _param_markdown(str(key), method)
        description = language_help.key_description(path, str(key), tool)
        if key == "merge_method" and not path and method is not None:
            return f"**merge_method** — {description}\n\n" + language_help.method_markdown(method)
        return f"**{key}** — {description}" if description else None
    # a value, or an item of a list
    key, path = _owner(kind, path, key)
    if key == "merge_method" and not path:
        chosen = METHODS.get(value) if isinstance(value, str) else None
        return language_help.method_markdown(chosen) if chosen else None
    param = _param_of(path, key)
    if param is not None:
        return _param_markdown(param, method)
    if isinstance(value, str) and value and language_help.holds_reference(path, key, tool) \
            and not is_tokenizer_keyword(value):
        return _reference_markdown(value, inspect)
    if key is None:
        return None
    description = language_help.key_description(path, str(key), tool)
    meaning = language_help.value_description(path, str(key), value, tool)
    if meaning:  # a value from a closed set: what it does, then the key's own description
        return f"**{value}** — {meaning}" + (f"\n\n**{key}** — {description}" if description else "")
    return f"**{key}** — {description}" if description else None


def _suppression_at(source, pos) -> suppressions.Suppression | None:
    """The suppression comment under the cursor, if it is on one."""
    if "mergelint" not in source.line_text(pos.line):  # (find() reads the whole text)
        return None
    for sup in suppressions.find(source):
        if sup.line == pos.line and sup.range.start.column <= pos.column <= sup.range.end.column:
            return sup
    return None


def hover(analysis: Analysis, position: types.Position, caps: Resolved, inspect, plan=None) -> types.Hover | None:
    """`plan`: the document's plans.Outcome, when one is made (hover does not wait for it)."""
    index: LineIndex = analysis.index
    lines = index.lines()
    line, col = index.cursor(position)
    method = method_in(lines, line)
    found, root, pos = None, None, None
    t = tree(analysis)
    kind_ = types.MarkupKind.Markdown if caps.markdown_hover else types.MarkupKind.PlainText
    if t.source is not None:
        pos = index.to_checker(t.source, position)
        sup = _suppression_at(t.source, pos)
        if sup is not None:
            text = rule_docs.named(sup.names)
            return types.Hover(contents=types.MarkupContent(kind=kind_, value=text), range=index.from_checker(t.source, sup.range))
        doc = t.document_at(pos.line)
        if doc is not None and doc.root is not None:
            root = doc.root
            hit = locate(doc.root, pos.line, pos.column)
            if hit is not None:
                kind, path, key, key_node, value_node = hit
                node = key_node if kind == "key" else value_node
                found = (kind, path, key, value_node.value if value_node is not None else None, index.from_checker(t.source, node.range))
    if found is None:
        spot = at_spot(lines, line, col)
        if spot.kind == "none":
            return None
        found = (spot.kind, spot.path, spot.key, spot.value, index.line_col_range(line, spot.start, spot.end))
    kind, path, key, value, rng = found
    parts = [_markdown(kind, path, key, value, method, inspect, tool_in(lines)), _plan_markdown(kind, path, key, value, root, pos, inspect, plan)]
    text = "\n\n".join(p for p in parts if p)
    if not text:
        return None
    return types.Hover(contents=types.MarkupContent(kind=kind_, value=text), range=rng)
