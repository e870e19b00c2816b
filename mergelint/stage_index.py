"""The stages of a mergekit-multi stream, and where later stages name them, as nodes.

Each document is a mergekit-yaml config with an optional `name:`; a model reference whose
path is another document's name is that stage's output (mergekit-multi rewrites it to
`INTERMEDIATE_DIR/NAME`, keeping its revision and LoRA). The multi rules and the editor's
definition, references, rename and symbols all read this one index.
"""

from __future__ import annotations

from dataclasses import dataclass

from merge_core.multi import stages as values
from merge_core.multi.language import NAME

from .config_view import ConfigView, map_node
from .document import Node, Range, Source, YamlDocument


@dataclass(frozen=True, eq=False)
class Stage:
    document: int
    root: Node
    name: str | None  # None: the unnamed, final merge
    name_node: Node | None  # the value of `name:`

    def name_range(self, source: Source) -> Range | None:
        """The range of the name alone inside its scalar (inside any quotes)."""
        return _inner_range(source, self.name_node, self.name) if self.name is not None else None


@dataclass(frozen=True, eq=False)
class StageUse:
    """A model reference (or its dict form's path) that names a stage, or any other reference."""

    document: int
    node: Node  # the string scalar that holds the path
    path: str  # the model path it names (before any @revision or +lora)
    role: str  # ConfigView.reference_nodes' role: base, slice-base, input, tokenizer

    def path_range(self, source: Source) -> Range:
        """The range of the path alone inside the scalar (what a rename replaces)."""
        return _inner_range(source, self.node, self.path)


class StageIndex:
    def __init__(self, stages: list[Stage], references: list[StageUse]):
        self.stages = stages
        self.references = references  # every model reference of every stage
        # The same stages as values, linked as mergekit-multi links them (merge_core.multi.stages):
        # what each reads of the others, in document order.
        self.linked = values.link([values.Stage(s.document, s.name, _config(s.root)) for s in stages])
        self._named = {}
        for stage in stages:
            if stage.name is not None:
                self._named.setdefault(stage.name, stage)  # a duplicate name: the first one defines it

    @property
    def names(self) -> list[str]:
        return list(self._named)

    def stage(self, name: str) -> Stage | None:
        return self._named.get(name)

    def uses(self) -> list[StageUse]:
        """The references that name a stage."""
        return [r for r in self.references if r.path in self._named]

    def uses_of(self, name: str) -> list[StageUse]:
        return [r for r in self.references if r.path == name]

    def of_document(self, document: int) -> Stage | None:
        return next((s for s in self.stages if s.document == document), None)

    def linked_of(self, document: int) -> values.Stage | None:
        return next((s for s in self.linked if s.index == document), None)

    def declarations(self, name: str) -> list[Stage]:
        """Every stage named `name` (more than one is an error the multi rules report)."""
        return [s for s in self.stages if s.name == name]


def _config(root: Node) -> dict:
    value = root.value if isinstance(root.value, dict) else {}
    return {k: v for k, v in value.items() if k != NAME}


def node_at(root: Node, path: tuple) -> Node | None:
    """The node at a value path (keys and list indices) under root."""
    node = root
    for step in path:
        if isinstance(step, int):
            node = node.items[step] if node.is_seq and step < len(node.items) else None
        else:
            node = node.get(step) if node.is_map else None
        if node is None:
            return None
    return node


def _inner_range(source: Source, node: Node, part: str) -> Range:
    """Where `part` stands in the text of a scalar that starts with it (after a quote, if any)."""
    start = source.offset(node.range.start)
    text = source.text[start:source.offset(node.range.end)]
    at = max(text.find(part), 0)
    return Range(source.position(start + at), source.position(start + at + len(part)))


def build(documents: list[YamlDocument]) -> StageIndex:
    stages, references = [], []
    for document in documents:
        root = map_node(document.root)
        if root is None:
            continue
        name_node = root.get(NAME)
        name = name_node.value if name_node is not None and isinstance(name_node.value, str) else None
        stages.append(Stage(document.index, root, name, name_node))
        for node, role, _, _ in ConfigView(root).reference_nodes():
            scalar = _path_scalar(node)
            if scalar is not None:
                references.append(StageUse(document.index, scalar, _model_path(scalar.value), role))
    return StageIndex(stages, references)


def _path_scalar(node: Node) -> Node | None:
    """The string scalar holding the model path: the node itself, or the dict form's model(.path)."""
    for _ in range(2):
        if node.is_map:
            node = node.get("model") if node.get("model") is not None else node.get("path")
            if node is None:
                return None
    return node if node.is_scalar and isinstance(node.value, str) else None


def _model_path(text: str) -> str:
    return text.split("+", 1)[0].split("@", 1)[0]
