"""Model facts for the rules: every reference resolved once per check, and where to report.

`Context.facts` is a `Facts`: it wraps a `merge_core.inspect.Inspector` (which
knows the base folder for relative paths and whether network use is allowed)
and memoises resolutions for the length of one check. Rules ask it for the
facts of a reference's model or adapter and get None when they cannot be had;
only `model-not-found` and `model-files-unreadable` say why, once per model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from merge_core.inspect import Inspector, ModelFacts, Resolution
from merge_core.references import ModelPath, ModelReference, ModelReferenceError, reference_from_value

from .config_view import ConfigView, Group, Input
from .document import Node, Range
from .evolve_view import EvolveView
from .moe_view import MoeView
from .stage_facts import planned

if TYPE_CHECKING:
    from .stage_index import StageIndex

# Whose references are read: a mergekit-yaml config, a mergekit-moe one (its base and experts)
# or a mergekit-evolve one (its genome's).
View = ConfigView | MoeView | EvolveView


@dataclass(eq=False)
class RefUse:
    """One place a model reference appears."""

    node: Node
    ref: ModelReference
    role: str  # "base" | "input" | "slice-base" | "tokenizer"; mergekit-moe: "base" | "expert" | "shared-expert"
    # (mergekit-evolve: "base" | "input" | "tokenizer")
    group: Group | None = None
    inp: Input | None = None


class Facts:
    def __init__(self, inspector: Inspector, for_run: bool = False):
        self.inspector = inspector
        self.for_run = for_run  # `mergelint run`: a missing local model is an error
        self._resolved: dict[ModelPath, Resolution] = {}
        self._uses: dict[int, tuple[View, list[RefUse]]] = {}
        # A mergekit-multi stream's stages: a reference to one is its planned output, not a model to find.
        self.stages: "StageIndex | None" = None
        self._planning: set[str] = set()

    def is_stage(self, path: ModelPath | None) -> bool:
        return path is not None and self.stages is not None and self.stages.stage(path.path) is not None

    def resolve(self, path: ModelPath | str) -> Resolution:
        mpath = ModelPath(path) if isinstance(path, str) else path
        found = self._resolved.get(mpath)
        if found is None:
            if self.is_stage(mpath):
                found = planned(self, mpath.path, self._planning)
                if self._planning:  # (inside another stage's plan: a cycle may make it unknown only here)
                    return found
            else:
                found = self.inspector.resolve(mpath)
            self._resolved[mpath] = found
        return found

    def folder(self, path: ModelPath | None) -> ModelFacts | None:
        if path is None:
            return None
        res = self.resolve(path)
        return res.facts if res.ok else None

    def model(self, ref: ModelReference) -> ModelFacts | None:
        """Facts of the model a reference merges (the base, for `base+lora`), if it is a model."""
        facts = self.folder(ref.model)
        return facts if facts is not None and facts.config is not None else None

    def uses(self, view: View) -> list[RefUse]:
        """Every reference of one document's config, in document order (computed once per document)."""
        hit = self._uses.get(id(view))
        if hit is None or hit[0] is not view:  # the view is kept, so its id cannot be reused meanwhile
            hit = self._uses[id(view)] = (view, list(_uses(view)))
        return hit[1]

    def inputs(self, view: View) -> list[RefUse]:
        """References that are merged: every group's inputs (the auto-added base as the base)."""
        return [u for u in self.uses(view) if u.role != "tokenizer"]

    def distinct(self, view: View, key=lambda use: use.ref, merged_only: bool = False) -> Iterator[RefUse]:
        """The first use of each distinct `key(use)` (the reference, its model, its LoRA; None is skipped)."""
        seen = set()
        for use in self.inputs(view) if merged_only else self.uses(view):
            k = key(use)
            if k is not None and k not in seen:
                seen.add(k)
                yield use

    def paths(self, view: View) -> Iterator[tuple[RefUse, str, ModelPath]]:
        """Each distinct model or adapter path at its first use, with its side ("model" or "lora");
        a stage's output is no path to find (its own models are judged in its document)."""
        seen = set()
        for use in self.uses(view):
            for part, path in (("model", use.ref.model), ("lora", use.ref.lora)):
                if path is not None and path not in seen and not (part == "model" and self.is_stage(path)):
                    seen.add(path)
                    yield use, part, path


def _ref(node: Node | None) -> ModelReference | None:
    if node is None or not (node.is_map or node.is_scalar and isinstance(node.value, str)):
        return None
    try:
        return reference_from_value(node.value)
    except ModelReferenceError:
        return None


def _uses(view: View):
    found: list[RefUse] = []
    seen: set[int] = set()

    def add(node, role, group=None, inp=None):
        ref = inp.ref if inp is not None else _ref(node)  # the view parsed the inputs already
        if ref is not None and id(node) not in seen:
            seen.add(id(node))
            found.append(RefUse(node, ref, role, group, inp))

    for node, role, group, inp in view.reference_nodes():
        add(node, role, group, inp)
    found.sort(key=lambda u: u.node.range.start)
    return found


def part_node(node: Node, ref: ModelReference, part: str) -> Node | Range:
    """Where the model (`part="model"`) or the LoRA (`part="lora"`) of a reference is written."""
    if node.is_map:
        inner = node.get(part)
        return inner if inner is not None else node
    span = part_span(node, ref, part)
    return span if span is not None else node


def part_span(node: Node, ref: ModelReference, part: str) -> Range | None:
    """The range of one side of `model+lora` inside a one-line scalar, or None."""
    if not node.is_scalar or node.range.start.line != node.range.end.line or node.style not in (None, '"', "'"):
        return None
    text = node.value
    if not isinstance(text, str) or (node.style and "\\" in text):
        return None
    quote = 1 if node.style else 0
    if part == "model":
        start, end = 0, len(str(ref.model)) if ref.lora else len(text)
    elif ref.lora is not None:
        start, end = len(text) - len(str(ref.lora)), len(text)
    else:
        return None
    line, col = node.range.start.line, node.range.start.column + quote
    return Range.of(line, col + start, line, col + end)


def same_model(facts: Facts, declared: str, path: ModelPath) -> bool:
    """Does an adapter's declared base name the model it is attached to?

    The same text (Hub ids compare case-insensitively), the same folder name (a
    local copy of a Hub repository, `/models/Llama-2-7b-hf` for
    `meta-llama/Llama-2-7b-hf`), or both resolving to the same folder.
    """
    a, b = declared.rstrip("/\\"), path.path.rstrip("/\\")
    if a.casefold() == b.casefold():
        return True
    if a.replace("\\", "/").rsplit("/", 1)[-1].casefold() == b.replace("\\", "/").rsplit("/", 1)[-1].casefold():
        return True
    left, right = facts.folder(ModelPath(a)), facts.folder(path)
    return left is not None and right is not None and left.directory is not None and left.directory == right.directory


def attached_adapters(facts: Facts, view: ConfigView):
    """Each distinct `model+lora` whose adapter facts are known, at its first use.

    Yields (use, the model's facts or None, the adapter's facts, whether the adapter
    declares another model as its base).
    """
    for use in facts.distinct(view, key=lambda u: u.ref if u.ref.lora is not None else None):
        folder = facts.folder(use.ref.lora)
        if folder is None or folder.adapter is None:
            continue
        declared = folder.adapter.base_model
        elsewhere = declared is not None and not same_model(facts, declared, use.ref.model)
        yield use, facts.model(use.ref), folder.adapter, elsewhere
