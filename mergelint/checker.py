"""The check pipeline: text -> documents -> schema -> rules -> suppressions -> settings."""

from __future__ import annotations

import os

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool, tool_of

from . import suppressions
from .check_context import CheckContext
from .config_view import ConfigView
from .diagnostics import Diagnostic
from .discover import NotARegularFile, open_regular
from .document import Source, YamlDocument, gc_paused, parse
from .evolve_view import EvolveView
from .model_facts import Facts
from .moe_view import MoeView
from .rule import Context
from .rules import RULES, lookup
from .settings import Settings
from .stage_index import build as stage_index
from .validate import validate

MAX_BYTES = 10 * 1024 * 1024


class InputError(Exception):
    """A file that cannot be checked at all (exit code 2)."""


def read_source(path: str) -> Source:
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:
                raise _too_large(path, size)
            data = f.read(MAX_BYTES + 1)  # (the file may grow after fstat)
    except NotARegularFile as e:
        raise InputError(f"{path}: {e} (standard input is read with '-')") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return decode(data, path)


def _too_large(path: str, size: int) -> InputError:
    return InputError(f"{path}: {size / 1e6:.0f} MB is too large for a merge config (limit {MAX_BYTES // 2**20} MiB)")


def decode(data: bytes, path: str) -> Source:
    if len(data) > MAX_BYTES:  # standard input, which read_source did not measure
        raise _too_large(path, len(data))
    if b"\x00" in data:
        raise InputError(f"{path}: binary file (contains NUL bytes), not a YAML config")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (invalid byte at offset {e.start})") from None
    return Source(text, path)


def check(context: CheckContext) -> list[Diagnostic]:
    """Check one file, as its context says: model references resolved by its inspector
    (relative paths against its base folder), a missing local model an error `for_run`."""
    facts = Facts(context.inspector, for_run=context.for_run)
    with gc_paused():
        found = _check_source(context.source, context.settings, facts)
        # The per-check memo keeps each document's config view, and so its whole tree: let it
        # go while the collector is still paused, else its first pass after the pause (over
        # the young objects still alive) scans the tree, about 10 ms on a 4,600-line config.
        del facts
    return found


def check_source(source: Source, settings: Settings = Settings(), **context) -> list[Diagnostic]:
    """`check` of a context made here: `base_dir`, `inspector`, `for_run` as CheckContext takes them."""
    return check(CheckContext(source, settings, **context))


def _check_source(source: Source, settings: Settings, facts: Facts) -> list[Diagnostic]:
    # An empty stream (no text, or only comments) is still one (empty) config to judge.
    documents = parse(source) or [YamlDocument(0, None)]
    multi = len(documents) > 1
    tool = _tool(source, documents, settings)
    stages = stage_index(documents) if tool is Tool.MULTI else None
    facts.stages = stages
    found: list[Diagnostic] = []
    for document in documents:
        ctx = Context(source, document, None, multi_document=multi, facts=facts, tool=tool, stages=stages)
        root = document.root
        if root is not None and root.is_map:
            ctx.schema_errors = validate(root, tool)
            if tool in MERGEKIT_YAML_TOOLS:
                ctx.view = ConfigView(root)
            elif tool is Tool.MOE:
                ctx.moe = MoeView(root)
            elif tool is Tool.EVOLVE:
                ctx.evolve = EvolveView(root)
        for rule in RULES:
            if rule.applies(ctx):
                rule.check(ctx)
        found.extend(ctx.diagnostics)
    found = suppressions.apply(source, found, lookup)
    return sorted(_configure(found, settings), key=Diagnostic.sort_key)


def _tool(source: Source, documents: list[YamlDocument], settings: Settings) -> Tool:
    return tool_of(source.text, [top_level_keys(d) for d in documents], settings.kind)


def source_tool(source: Source, settings: Settings = Settings()) -> Tool:
    """The mergekit command `source` is for, as the check decides it (`run` dispatches on it)."""
    return _tool(source, parse(source) or [YamlDocument(0, None)], settings)


def top_level_keys(document: YamlDocument) -> list:
    root = document.root
    return [k.value for k, _ in root.pairs] if root is not None and root.is_map else []


def _configure(diagnostics: list[Diagnostic], settings: Settings) -> list[Diagnostic]:
    def codes(names):
        return {lookup(n).code for n in names if lookup(n) is not None}

    selected, ignored = codes(settings.select), codes(settings.ignore)
    overrides = {lookup(n).code: s for n, s in settings.severity if lookup(n) is not None}
    out = []
    for diag in diagnostics:
        if (selected and diag.code not in selected) or diag.code in ignored:
            continue
        if diag.code in overrides:
            diag.severity = overrides[diag.code]
        out.append(diag)
    return out


def unknown_rule_names(settings: Settings) -> list[str]:
    names = [*settings.select, *settings.ignore, *(n for n, _ in settings.severity)]
    return [n for n in names if lookup(n) is None]
