"""Renaming a mergekit-multi stage (mergelint.stage_rename): the path part alone changes, and a
name mergekit-multi would read differently is refused with the reason."""

from __future__ import annotations

import pytest

from mergelint import stage_index, stage_rename
from mergelint.document import Source, parse
from mergelint.fixing import apply_edits

STREAM = """\
name: first  # the base merge
merge_method: linear
models: [{model: org/a}, {model: org/b}]
---
name: 'second'
merge_method: ties
base_model: "first@v2"
models:
  - model: first+org/lora@main
  - model: {model: {path: first, revision: r1}, lora: org/l}
---
merge_method: slerp
base_model: second
tokenizer_source: first
models: [{model: second}, {model: first}]
"""


def _rename(old: str, new: str) -> str:
    source = Source(STREAM, "stream.yml")
    return apply_edits(source, stage_rename.edits(source, stage_index.build(parse(source)), old, new))


def test_only_the_path_changes():
    assert _rename("first", "merged-1") == STREAM.replace("first", "merged-1")
    assert _rename("second", "s2") == STREAM.replace("second", "s2")


@pytest.mark.parametrize("new, why", [
    ("second", "another stage is already named"),
    ("org/b", "already uses the model"),
    ("a@b", "no '@revision' or '+lora'"),
    ("a+b", "no '@revision' or '+lora'"),
    (" a", "without surrounding spaces"),
    ("/tmp/a", "absolute"),
    ("union", "tokenizer_source keyword"),
    ("a # b", "does not read back"),
])
def test_refused(new, why):
    with pytest.raises(stage_rename.RenameRefused, match=why.replace("+", r"\+")):
        _rename("first", new)
