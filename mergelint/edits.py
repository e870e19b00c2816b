"""Minimal text edits on a YAML source: the user's comments, quoting and order stay.

Fixes never re-dump the document; they insert or replace a few characters at
positions the parser gave.
"""

from __future__ import annotations

from .diagnostics import Edit
from .document import Node, Position, Range, Source


def replace_scalar(node: Node, text: str) -> Edit:
    """Replace a scalar's text, keeping its quotes."""
    rng = node.range
    if node.style in ('"', "'") and rng.start.line == rng.end.line:
        rng = Range.of(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column - 1)
    return Edit(rng, text)


def last_content_line(node: Node) -> int:
    """The last line that holds a scalar of this subtree (block ends point past comments)."""
    if node.is_scalar or node.flow:
        start, end = node.range.start, node.range.end
        # A block scalar (`|`, `>`) ends at the start of the line after it.
        return end.line - 1 if end.column == 0 and end.line > start.line else end.line
    lines = [last_content_line(child) for child in node.items]
    lines += [max(last_content_line(k), last_content_line(v)) for k, v in node.pairs]
    return max(lines, default=node.range.start.line)


def _line_end(source: Source, line: int) -> Position:
    return Position(line, len(source.line_text(line)))


def _block_indent(mapping: Node) -> int:
    return mapping.pairs[0][0].range.start.column if mapping.pairs else mapping.range.start.column


def add_to_mapping(source: Source, mapping: Node, key: str, value_text: str) -> Edit:
    """Add `key: value` as the last entry of a mapping (block or flow)."""
    if mapping.flow:
        end = mapping.range.end
        closing = Position(end.line, end.column - 1)
        sep = ", " if mapping.pairs else ""
        return Edit(Range(closing, closing), f"{sep}{key}: {value_text}")
    at = _line_end(source, last_content_line(mapping))
    return Edit(Range(at, at), f"\n{' ' * _block_indent(mapping)}{key}: {value_text}")


def add_parameter(source: Source, owner: Node, name: str, value_text: str) -> Edit:
    """Set `parameters: {name: value}` on a mapping, creating `parameters:` if needed."""
    params = owner.get("parameters")
    if params is not None and params.is_map:
        return add_to_mapping(source, params, name, value_text)
    key = owner.key_node("parameters")
    if key is not None and params is not None and params.value is None and not owner.flow:
        # `parameters:` with nothing (or only comments) under it.
        at = _line_end(source, key.range.start.line)
        return Edit(Range(at, at), f"\n{' ' * (key.range.start.column + 2)}{name}: {value_text}")
    if owner.flow:
        return add_to_mapping(source, owner, "parameters", f"{{{name}: {value_text}}}")
    at = _line_end(source, last_content_line(owner))
    indent = _block_indent(owner)
    return Edit(Range(at, at), f"\n{' ' * indent}parameters:\n{' ' * (indent + 2)}{name}: {value_text}")


def delete_pair_lines(source: Source, key: Node, value: Node) -> Edit | None:
    """Delete a `key: value` pair that occupies whole lines of its own, or None if it doesn't."""
    line = key.range.start.line
    if source.line_text(line)[: key.range.start.column].strip():
        return None
    last = last_content_line(value)
    return Edit(Range(Position(line, 0), Position(last + 1, 0)), "")


def pair_text(source: Source, key: Node, value: Node) -> str | None:
    """The source text of a single-line `key: value` pair, comments excluded."""
    if key.range.start.line != value.range.end.line:
        return None
    start, end = source.offset(key.range.start), source.offset(value.range.end)
    return source.text[start:end]
