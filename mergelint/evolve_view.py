"""A mergekit-evolve config as mergekit-evolve reads it: the genome's method, models and base, and
each task's name, weight and metric, as nodes.

The evolve rules read this view rather than each re-walking the tree. Like ConfigView it
tolerates any shape: whatever is malformed is left out (None or absent), because the schema
check reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from merge_core.evolve.language import (
    BASE_MODEL, GENOME, MERGE_METHOD, MODELS, TASK_METRIC, TASK_NAME, TASK_WEIGHT, TASKS, TOKENIZER_SOURCE,
)
from merge_core.method_kit.spec import ParamType
from merge_core.language import is_tokenizer_keyword
from merge_core.references import ModelReference
from merge_core.values import VALIDATORS, ValueTypeError

from .config_view import References
from .document import Node


@dataclass(eq=False)
class Task:
    node: Node  # the list item: a name, or a {name, weight, metric} mapping
    name: str | None
    name_node: Node | None
    weight: Node | None = None
    metric: Node | None = None


@dataclass(eq=False)
class EvolveView:
    root: Node
    genome: Node | None = None  # the genome mapping, when it is one
    method: str | None = None
    method_node: Node | None = None
    models: list[tuple[Node, ModelReference | None]] = field(default_factory=list)
    base_node: Node | None = None
    base: ModelReference | None = None
    tasks: list[Task] = field(default_factory=list)
    references: References = field(default_factory=References)  # every reference string parsed here

    def __post_init__(self) -> None:
        genome = self.root.get(GENOME)
        if genome is not None and genome.is_map:
            self.genome = genome
            self.method_node = genome.get(MERGE_METHOD)
            if self.method_node is not None and isinstance(self.method_node.value, str):
                self.method = self.method_node.value
            models = genome.get(MODELS)
            if models is not None and models.is_seq:
                self.models = [(node, self._reference(node)) for node in models.items]
            self.base_node = genome.get(BASE_MODEL)
            self.base = self._reference(self.base_node)
        tasks = self.root.get(TASKS)
        if tasks is not None and tasks.is_seq:
            self.tasks = [t for t in map(_task, tasks.items) if t is not None]

    def setting(self, key: str) -> Node | None:
        """A genome key's value node."""
        return self.genome.get(key) if self.genome is not None else None

    @property
    def model_refs(self) -> list[ModelReference]:
        """The models' references that parse."""
        return [ref for _, ref in self.models if ref is not None]

    def base_listed(self) -> bool:
        """Whether the base is one of the models (mergekit compares references as parsed)."""
        return self.base is not None and self.base in self.model_refs

    def reference_nodes(self):
        """(node, role, None, None) of every node that holds a model reference, the base first, as
        ConfigView.reference_nodes gives them (role "base", "input" or "tokenizer")."""
        if self.base_node is not None:
            yield self.base_node, "base", None, None
        for node, _ in self.models:
            yield node, "input", None, None
        tokenizer = self.setting(TOKENIZER_SOURCE)
        if tokenizer is not None and tokenizer.value is not None and not is_tokenizer_keyword(tokenizer.value):
            yield tokenizer, "tokenizer", None, None

    def _reference(self, node: Node | None) -> ModelReference | None:
        return self.references.parse(node.value)[0] if node is not None and node.value is not None else None


def _task(node: Node) -> Task | None:
    if node.is_scalar:
        return Task(node, node.value, node) if isinstance(node.value, str) else None
    if not node.is_map:
        return None
    name_node = node.get(TASK_NAME)
    name = name_node.value if name_node is not None and isinstance(name_node.value, str) else None
    return Task(node, name, name_node, node.get(TASK_WEIGHT), node.get(TASK_METRIC))


def read(node: Node | None, kind: ParamType) -> object | None:
    """A scalar as mergekit-evolve's pydantic reads it (lax: "4" is 4), or None where it fails or is unset."""
    if node is None or not node.is_scalar or node.value is None:
        return None
    try:
        return VALIDATORS[kind](node.value)
    except ValueTypeError:
        return None
