"""Completion that knows where the cursor is.

Keys: top-level, model entry, slice, source, module, tokenizer and {filter, value}
keys from the schema of the file's tool (mergekit-moe's: its keys, the experts'; see
language_help); parameter names valid for the chosen method at that level (per-model
ones only under a model or source). Values: `merge_method` with each method's doc,
dtypes, `chat_template`, `tokenizer_source`, booleans and defaults of parameters, the
values the schema names (`gate_mode`, `architecture`), and model references: local
model folders and the references this config already uses. In a `# mergelint: disable=`
comment: the rules' names.
"""

from __future__ import annotations

import functools
import re

from lsprotocol import types

from merge_core import language
from merge_core.method_kit.spec import ParamType
from merge_core.methods import METHODS
from mergelint.rules import RULES
from mergelint.suppressions import UNUSED

from . import language_help, model_folders, rule_docs
from .capabilities import Resolved
from .context import Cursor, Lines, at_cursor, method_in, tool_in
from .positions import LineIndex

# The rule name being written in a suppression comment, up to the cursor (suppressions.py reads them).
_SUPPRESSION = re.compile(r"#\s*mergelint:\s*disable(?:-file)?\s*=\s*(?:[\w\-]+\s*,\s*)*([\w\-]*)$")


@functools.lru_cache(maxsize=None)
def _reference(tool) -> re.Pattern:
    """A reference written after one of the tool's reference keys (`model:`, `source_model:`, ...)."""
    return re.compile(r"""(?:^|[\s{,-])(?:""" + "|".join(language_help.reference_keys(tool))
                      + r""")[ \t]*:[ \t]*['"]?([^\s'"#{}\[\],]+)""")


def _doc(text: str, caps: Resolved):
    if not text:
        return None
    if caps.markdown_completion:
        return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
    return text


class _Items:
    def __init__(self, index: LineIndex, line: int, cursor: Cursor, col: int, caps: Resolved):
        self.items: list[types.CompletionItem] = []
        self.range = index.line_col_range(line, cursor.start, col)
        self.caps = caps
        self.lead = " " if cursor.needs_space else ""
        self.seen: set[str] = set()

    def add(self, label: str, kind, detail: str = "", doc: str = "", insert: str | None = None) -> None:
        if label in self.seen:
            return
        self.seen.add(label)
        text = self.lead + (insert if insert is not None else label)
        self.items.append(
            types.CompletionItem(
                label=label,
                kind=kind,
                detail=detail or None,
                documentation=_doc(doc, self.caps),
                sort_text=f"{len(self.items):04d}",
                filter_text=label,
                text_edit=types.TextEdit(range=self.range, new_text=text),
            )
        )


def complete(
    index: LineIndex, position: types.Position, caps: Resolved, directory: str | None, roots: list[str]
) -> types.CompletionList:
    lines = index.lines()
    line, col = index.cursor(position)
    naming = _SUPPRESSION.search(lines[line][:col]) if line < len(lines) else None
    if naming is not None:
        return _rule_names(index, line, col - len(naming.group(1)), col, caps)
    cursor = at_cursor(lines, line, col)
    empty = types.CompletionList(is_incomplete=False, items=[])
    if cursor.kind == "none":
        return empty
    items = _Items(index, line, cursor, col, caps)
    method, tool = method_in(lines, line), tool_in(lines)
    if cursor.kind == "key":
        _keys(items, cursor, method, tool)
    else:
        _values(items, cursor, method, tool, lines, line, directory, roots)
    return types.CompletionList(is_incomplete=False, items=items.items)


def _rule_names(index: LineIndex, line: int, start: int, col: int, caps: Resolved) -> types.CompletionList:
    """Every rule, by name, where a suppression comment names one; its summary and docs link alongside."""
    at = index.line_col_range(line, start, col)
    items = [
        types.CompletionItem(
            label=rule.name,
            kind=types.CompletionItemKind.EnumMember,
            detail=f"{rule.code} ({rule.severity})",
            documentation=_doc(rule_docs.summary(rule), caps),
            text_edit=types.TextEdit(range=at, new_text=rule.name),
        )
        for rule in (*RULES, UNUSED)
    ]
    return types.CompletionList(is_incomplete=False, items=items)


def _keys(items: _Items, cursor: Cursor, method, tool) -> None:
    path, siblings = cursor.path, cursor.siblings
    if language_help.is_parameters(path):
        for param, declared_by in language_help.parameters_for(method, path):
            if param.name in siblings:
                continue
            items.add(
                param.name,
                types.CompletionItemKind.Property,
                language_help.param_summary(param),
                language_help.param_markdown(param, method, declared_by),
                f"{param.name}: ",
            )
        return
    taken = set(siblings)
    for group in language.EXCLUSIVE_KEYS:
        if siblings.intersection(group):
            taken.update(group)
    for key in language_help.keys_at(path, tool):
        if key.name in taken:
            continue
        insert = f"{key.name}:" if key.collection else f"{key.name}: "
        items.add(key.name, types.CompletionItemKind.Field, "", key.description, insert)


def _values(items: _Items, cursor: Cursor, method, tool, lines, line, directory, roots) -> None:
    path, key = cursor.path, cursor.key
    if key == "merge_method" and not path:
        for m in sorted(METHODS.values(), key=lambda m: m.name):
            items.add(m.name, types.CompletionItemKind.EnumMember, language_help.method_detail(m), language_help.method_markdown(m))
        return
    if key in language.DTYPE_KEYS and not path:
        for name in language.DTYPES:
            items.add(name, types.CompletionItemKind.EnumMember, "dtype", language_help.key_description(path, key, tool))
        return
    if key == language.CHAT_TEMPLATE and not path:
        for name in language.CHAT_TEMPLATES:
            items.add(name, types.CompletionItemKind.EnumMember, "chat template", language_help.key_description(path, key))
        return
    if (tuple(path), key) in language.TOKENIZER_SOURCE_AT:
        for name in language.TOKENIZER_SOURCES:
            items.add(name, types.CompletionItemKind.EnumMember, "tokenizer source", language_help.key_description(path, key))
        _references(items, cursor, tool, lines, line, directory, roots)
        return
    if language_help.holds_reference(path, key, tool):
        _references(items, cursor, tool, lines, line, directory, roots)
        return
    param_name = _parameter(path, key)
    if param_name is not None:
        _parameter_values(items, method, param_name)
        return
    for value, meaning in language_help.enum_values(path, key, tool):
        items.add(value, types.CompletionItemKind.EnumMember, doc=meaning)


def _parameter(path, key) -> str | None:
    """The parameter a value belongs to: `weight: |`, or `value: |` in a {filter, value} entry."""
    if language_help.is_parameters(path):
        return key
    if key == "value" and len(path) >= 3 and path[-1] == "[]" and path[-3] == "parameters":
        return path[-2]
    return None


def _parameter_values(items: _Items, method, name: str) -> None:
    param = method.param(name) if method is not None else None
    if param is None:
        owners = language_help.owners(name)
        param = METHODS[owners[0]].param(name) if owners else None
    if param is None:
        return
    doc = language_help.param_markdown(param, method)
    if param.type is ParamType.BOOL:
        for word in ("true", "false"):
            detail = "default" if param.default is (word == "true") else ""
            items.add(word, types.CompletionItemKind.Value, detail, doc)
    elif not param.required and param.default is not None:
        items.add(param.default_text(), types.CompletionItemKind.Value, "default", doc)


def _references(items: _Items, cursor: Cursor, tool, lines, line, directory, roots) -> None:
    typed = cursor.prefix
    base = directory or (roots[0] if roots else None)
    if base:
        if "/" in typed or typed.startswith((".", "~")):
            for path, kind in model_folders.list_folder(base, typed):
                items.add(path, types.CompletionItemKind.Folder, _kind_words(kind))
        else:
            for path, kind in model_folders.model_folders(base):
                items.add(path, types.CompletionItemKind.Folder, _kind_words(kind))
    start, end = Lines(lines).document_bounds(line)
    for n in range(start, end + 1):
        if n == line:
            continue
        for m in _reference(tool).finditer(lines[n]):
            ref = m.group(1)
            if not language.is_tokenizer_keyword(ref):
                items.add(ref, types.CompletionItemKind.Reference, "used in this config")


def _kind_words(kind: str | None) -> str:
    return {"model": "local model (config.json)", "adapter": "local LoRA adapter (adapter_config.json)"}.get(kind, "folder")
