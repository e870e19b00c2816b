"""Minimal text edits on a YAML source: the user's comments, quoting and order stay.

Fixes never re-dump the document; they insert or replace a few characters at
positions the parser gave.
"""

from __future__ import annotations

import re

import yaml

from .diagnostics import Edit, Slot
from .document import Node, Position, Range, Source


def scalar_text(value: str) -> str:
    """A string written as a one-line YAML scalar that reads back as itself: plain when it
    can be, quoted when it must (a tab, `: `, a leading `*`, a number-like name...)."""
    for style in (None, '"'):
        text = yaml.safe_dump(value, default_style=style, allow_unicode=True, width=float("inf"))
        text = text.removesuffix("\n...\n").removesuffix("\n")
        if not any(c in text for c in "\n\r\x85\u2028\u2029"):  # YAML's line breaks
            return text
    return text


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
    # Only what is written here: pairs merged in with `<<` and aliased nodes stand elsewhere.
    def here(n: Node) -> bool:
        return node.range.start <= n.range.start <= node.range.end

    lines = [last_content_line(child) for child in node.items if here(child)]
    lines += [max(last_content_line(k), last_content_line(v)) for k, v in node.pairs if here(k)]
    return max(lines, default=node.range.start.line)


_PROPERTIES_BEFORE = re.compile(r"(?:(?:&[^\s,\[\]{}]+|!<[^>]*>|![^\s,\[\]{}]*)\s+)+$")


def _line_end(source: Source, line: int) -> Position:
    return Position(line, len(source.line_text(line)))


def _block_indent(source: Source, mapping: Node) -> int:
    # The mapping's own first key: pairs merged in with `<<` come first but stand elsewhere.
    key = next((k for k, _ in mapping.pairs if mapping.range.start <= k.range.start <= mapping.range.end), None)
    if key is None:
        return mapping.range.start.column
    before = source.line_text(key.range.start.line)[: key.range.start.column]
    properties = _PROPERTIES_BEFORE.search(before)  # `&anchor` or `!tag` before the key: the entry starts there
    if properties:
        before = before[: properties.start()]
    if before.rstrip().endswith("?"):  # an explicit key, `? key`: the entry starts at the `?`
        return len(before.rstrip()) - 1
    return len(before)


def add_to_mapping(source: Source, mapping: Node, key: str, value_text: str) -> Edit:
    """Add `key: value` as the last entry of a mapping (block or flow)."""
    if mapping.flow:
        end = mapping.range.end
        closing = Position(end.line, end.column - 1)
        sep = ", " if mapping.pairs else ""
        return Edit(Range(closing, closing), f"{sep}{key}: {value_text}")
    at = _line_end(source, last_content_line(mapping))
    return Edit(Range(at, at), f"\n{' ' * _block_indent(source, mapping)}{key}: {value_text}")


def slot(mapping: Node, key: str) -> Slot:
    """The key `key` of this mapping, as a fix that writes it declares (Fix.writes)."""
    return (mapping.range.start, key)


def parameter_slot(owner: Node, name: str) -> Slot:
    """What add_parameter writes: `name` in the owner's parameters mapping, or, where that
    mapping is still to be made, the owner's `parameters`."""
    params = owner.get("parameters")
    return slot(params, name) if params is not None and params.is_map else slot(owner, "parameters")


def add_parameter(source: Source, owner: Node, name: str, value_text: str) -> Edit | None:
    """Set `parameters: {name: value}` on a mapping, creating `parameters:` if needed.

    None when `parameters:` holds something else than a mapping (a list, a number): that
    is an invalid-value error, and only the user knows what was meant.
    """
    params = owner.get("parameters")
    if params is not None and params.is_map:
        return add_to_mapping(source, params, name, value_text)
    key = owner.key_node("parameters")
    if params is not None and (params.value is not None or not params.is_scalar):
        return None
    if params is not None and (owner.flow or params.range.start != params.range.end):
        # `parameters: null` or `~`, or an empty value in a flow mapping: replace it.
        return Edit(params.range, f"{{{name}: {value_text}}}")
    if key is not None and params is not None:
        # `parameters:` with nothing (or only comments) under it.
        at = _line_end(source, key.range.start.line)
        return Edit(Range(at, at), f"\n{' ' * (key.range.start.column + 2)}{name}: {value_text}")
    if owner.flow:
        return add_to_mapping(source, owner, "parameters", f"{{{name}: {value_text}}}")
    at = _line_end(source, last_content_line(owner))
    indent = _block_indent(source, owner)
    return Edit(Range(at, at), f"\n{' ' * indent}parameters:\n{' ' * (indent + 2)}{name}: {value_text}")


def delete_pair_lines(source: Source, key: Node, value: Node) -> Edit | None:
    """Delete a `key: value` pair that occupies whole lines of its own, or None if it doesn't."""
    line = key.range.start.line
    if source.line_text(line)[: key.range.start.column].strip():
        return None
    last = last_content_line(value)
    # The last line of a text with no final newline has no next line to end at.
    end = Position(last + 1, 0) if last + 1 < len(source.lines) else _line_end(source, last)
    return Edit(Range(Position(line, 0), end), "")


def delete_flow_pair(source: Source, mapping: Node, key: Node) -> Edit | None:
    """Delete a pair of a flow mapping with one of its commas, or None if that would take a comment."""
    index = next(i for i, (k, _) in enumerate(mapping.pairs) if k is key)
    value = mapping.pairs[index][1]
    if index > 0:  # `, key: value` after the previous value
        rng = Range(mapping.pairs[index - 1][1].range.end, value.range.end)
    elif len(mapping.pairs) > 1:  # `key: value, ` before the next key
        rng = Range(key.range.start, mapping.pairs[1][0].range.start)
    else:
        rng = Range(key.range.start, value.range.end)
    if not (mapping.range.start <= rng.start <= rng.end <= mapping.range.end):
        return None  # a pair merged in with `<<` from elsewhere
    removed = source.text[source.offset(rng.start) : source.offset(rng.end)]
    separator = removed.replace(pair_text(source, key, value) or "\0", "", 1)
    if separator.replace(",", "", 1).strip():
        return None
    return Edit(rng, "")


def trailing_comment(source: Source, node: Node) -> str | None:
    """The `# comment` after a node on its last line, if any."""
    rest = source.line_text(node.range.end.line)[node.range.end.column :].strip()
    return rest if rest.startswith("#") else None


def pair_text(source: Source, key: Node, value: Node) -> str | None:
    """The source text of a single-line `key: value` pair, comments excluded."""
    if key.range.start.line != value.range.end.line:
        return None
    start, end = source.offset(key.range.start), source.offset(value.range.end)
    return source.text[start:end]
