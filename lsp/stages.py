"""The stage under the cursor in a mergekit-multi stream, and where it is named: what
definition, references and rename share (the stages themselves are mergelint.stage_index's)."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from merge_core.tools import Tool
from mergelint.document import Range
from mergelint.stage_index import StageIndex

from .analysis import Analysis
from .documents import Tree, tree


@dataclass(frozen=True)
class StageAt:
    tree: Tree
    name: str  # the stage's name
    at: Range  # the name as written under the cursor (a declaration's or a reference's path)

    @property
    def index(self) -> StageIndex:
        return self.tree.stages

    def declarations(self) -> list[Range]:
        return [s.name_range(self.tree.source) for s in self.index.declarations(self.name)]

    def uses(self) -> list[Range]:
        return [u.path_range(self.tree.source) for u in self.index.uses_of(self.name)]


def stage_at(analysis: Analysis, position: types.Position) -> StageAt | None:
    """The stage whose `name:` value, or a reference's path naming it, is under `position`."""
    t = tree(analysis)
    if t.source is None or t.tool is not Tool.MULTI:
        return None
    pos = analysis.index.to_checker(t.source, position)
    index = t.stages
    named = [(s.name, s.name_range(t.source)) for s in index.stages if s.name is not None]
    used = [(u.path, u.path_range(t.source)) for u in index.uses()]
    for name, at in named + used:
        if at.start <= pos <= at.end:
            return StageAt(t, name, at)
    return None


def location(analysis: Analysis, uri: str, rng: Range) -> types.Location:
    return types.Location(uri=uri, range=analysis.index.from_checker(tree(analysis).source, rng))
