"""Renaming a stage of a mergekit-multi stream: its `name:` and every reference to it.

The edits replace the path part alone, so quotes, `@revision` and `+lora` stay as written. A new
name is refused when mergekit-multi would read the stream differently: another stage (or a model
the stream already uses) has it, it is not a model path, or the edited YAML no longer reads back
with the same stages and references.
"""

from __future__ import annotations

from merge_core.language import is_tokenizer_keyword
from merge_core.references import ModelPath, ModelReferenceError, is_absolute, parse_reference

from . import stage_index
from .diagnostics import Edit
from .document import Source, parse
from .fixing import apply_edits


class RenameRefused(ValueError):
    """A new name that cannot be used; the message says why."""


def edits(source: Source, index: stage_index.StageIndex, old: str, new: str) -> list[Edit]:
    """The edits that rename stage `old` to `new`, or RenameRefused."""
    _refuse_invalid(new)
    if new != old:
        _refuse_taken(index, new)
    found = {}
    for stage in index.declarations(old):
        rng = stage.name_range(source)
        found[rng] = Edit(rng, new)
    for use in index.uses_of(old):
        rng = use.path_range(source)
        found[rng] = Edit(rng, new)  # an alias's node stands at its anchor: one edit there
    out = sorted(found.values(), key=lambda e: e.range)
    _refuse_misread(source, index, old, new, out)
    return out


def _refuse_invalid(new: str) -> None:
    if not new or new != new.strip():
        raise RenameRefused(f"{new!r} is not a stage name: it must be a non-empty path without surrounding spaces")
    try:
        reference = parse_reference(new)
    except ModelReferenceError as e:
        raise RenameRefused(f"{new!r} is not a model path: {e.message}") from None
    if reference.lora is not None or reference.model != ModelPath(new):
        raise RenameRefused(f"{new!r} is not a model path: a stage name has no '@revision' or '+lora' (references add them)")
    if is_absolute(new):
        raise RenameRefused(f"{new!r} is absolute: mergekit-multi writes a stage to INTERMEDIATE_DIR/NAME")
    if is_tokenizer_keyword(new):
        raise RenameRefused(f"{new!r} is a tokenizer_source keyword, so tokenizer_source: {new} could not name the stage")


def _refuse_taken(index: stage_index.StageIndex, new: str) -> None:
    if index.stage(new) is not None:
        raise RenameRefused(f"another stage is already named {new!r}")
    if any(r.path == new for r in index.references):
        raise RenameRefused(f"the stream already uses the model {new!r}: its references would name the stage")


def _refuse_misread(source: Source, index: stage_index.StageIndex, old: str, new: str, edits: list[Edit]) -> None:
    """The edited text must read back with the same stages and as many uses (quoting may be needed)."""
    renamed = stage_index.build(parse(Source(apply_edits(source, edits), source.path)))
    if len(renamed.declarations(new)) != len(index.declarations(old)) or len(renamed.uses_of(new)) != len(index.uses_of(old)):
        raise RenameRefused(f"{new!r} does not read back as that name where it is written: quote the name and its references first")
