"""The merge config as mergekit plans it: method, base model and merge groups.

A merge group is what mergekit merges with one call of the method: the
`models:` list (with the base added when it is not listed) or one slice. The
view tolerates any shape: whatever is malformed is left out here, because the
schema check already reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from merge_core.language import BASE_MODEL, MERGE_METHOD, PARAMETERS, TOKENIZER_SOURCE_AT, is_tokenizer_keyword
from merge_core.method_kit.spec import MergeMethod
from merge_core.methods import METHODS
from merge_core.references import ModelReference, ModelReferenceError, reference_from_value

from .document import Node


@dataclass(eq=False)
class Input:
    entry: Node  # the `- model: ...` mapping
    model_node: Node | None
    ref: ModelReference | None  # None when the reference is malformed
    params: Node | None  # its `parameters:` mapping, if any
    layer_range: tuple[int, int] | None = None
    layer_range_node: Node | None = None
    auto_added: bool = False  # the top-level base, added by mergekit itself

    @property
    def key(self) -> str | None:
        return str(self.ref) if self.ref else None


@dataclass(eq=False)
class Group:
    kind: str  # "models" | "slice"
    node: Node  # the models sequence, or the slice mapping
    label: str  # "models", "slices[1]", "modules.text.slices[0]"
    inputs: list[Input] = field(default_factory=list)
    params: Node | None = None  # the slice's own parameters
    module_params: Node | None = None
    base_node: Node | None = None  # the effective base_model value node
    base: ModelReference | None = None
    base_from_slice: bool = False

    def is_base(self, inp: Input) -> bool:
        return self.base is not None and inp.ref == self.base

    @property
    def listed(self) -> list[Input]:
        return [i for i in self.inputs if not i.auto_added]

    @property
    def ranged(self) -> list[Input]:
        """A slice's sources that have a well-formed layer_range."""
        return [i for i in self.inputs if self.kind == "slice" and i.layer_range is not None]


def map_node(node: Node | None) -> Node | None:
    return node if node is not None and node.is_map else None


def parse_value(value: object) -> tuple[ModelReference | None, ModelReferenceError | None]:
    """reference_from_value(value), or the ModelReferenceError it raises."""
    try:
        return reference_from_value(value), None
    except ModelReferenceError as error:
        return None, error


class References(dict):
    """parse_value of each distinct string once (a frankenmerge names the same few models
    thousands of times); ModelReference is frozen, so sharing one is safe."""

    def parse(self, value: object) -> tuple[ModelReference | None, ModelReferenceError | None]:
        if not isinstance(value, str):
            return parse_value(value)
        found = self.get(value)
        if found is None:
            found = self[value] = parse_value(value)
        return found


def _reference(node: Node | None, references: References) -> ModelReference | None:
    if node is None:
        return None
    return references.parse(node.value)[0]


def _layer_range(node: Node | None) -> tuple[int, int] | None:
    if node is None or not node.is_seq or len(node.items) != 2:
        return None
    values = [item.value for item in node.items]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return values[0], values[1]
    return None


def _input(entry: Node, references: References) -> Input | None:
    if not entry.is_map:
        return None
    model = entry.get("model")
    lr = entry.get("layer_range")
    return Input(entry, model, _reference(model, references), map_node(entry.get("parameters")), _layer_range(lr), lr)


class ConfigView:
    def __init__(self, root: Node):
        self.root = root
        self.references = References()  # every reference string parsed in this document
        self.method_node = root.get(MERGE_METHOD)
        name = self.method_node.value if self.method_node is not None else None
        self.method: MergeMethod | None = METHODS.get(name) if isinstance(name, str) else None
        self.base_node = root.get(BASE_MODEL)
        self.base = _reference(self.base_node, self.references)
        self.params = map_node(root.get(PARAMETERS))
        self.groups: list[Group] = []
        self._collect(root, "", None)
        modules = map_node(root.get("modules"))
        if modules is not None:
            for key, module in modules.pairs:
                if module.is_map:
                    self._collect(module, f"modules.{key.value}.", map_node(module.get("parameters")))

    def tokenizer_settings(self) -> list[Node]:
        """The values of tokenizer_source and tokenizer.source, where written: a keyword or a reference."""
        found = []
        for path, key in TOKENIZER_SOURCE_AT:
            owner: Node | None = self.root
            for step in path:
                owner = map_node(owner.get(step))
                if owner is None:
                    break
            node = owner.get(key) if owner is not None else None
            if node is not None:
                found.append(node)
        return found

    def reference_nodes(self):
        """(node, role, group, input) of every node that holds a model reference, the base first.

        role: "base", "slice-base" (a slice's own base_model), "input" or "tokenizer".
        """
        if self.base_node is not None:
            yield self.base_node, "base", None, None
        for group in self.groups:
            if group.base_from_slice and group.base_node is not None:
                yield group.base_node, "slice-base", group, None
            for inp in group.listed:
                if inp.model_node is not None:
                    yield inp.model_node, "input", group, inp
        for node in self.tokenizer_settings():
            if node.value is not None and not is_tokenizer_keyword(node.value):
                yield node, "tokenizer", None, None

    def _collect(self, owner: Node, prefix: str, module_params: Node | None) -> None:
        models = owner.get("models")
        if models is not None and models.is_seq and models.items:
            group = Group("models", models, f"{prefix}models", module_params=module_params)
            group.inputs = [i for i in (_input(e, self.references) for e in models.items) if i is not None]
            group.base_node, group.base = self.base_node, self.base
            # mergekit appends the top-level base when it is not listed (models: syntax only).
            if self.base is not None and all(i.ref != self.base for i in group.inputs):
                group.inputs.append(Input(self.base_node, self.base_node, self.base, None, auto_added=True))
            self.groups.append(group)
        slices = owner.get("slices")
        if slices is not None and slices.is_seq:
            for n, slice_ in enumerate(slices.items):
                if not slice_.is_map:
                    continue
                group = Group(
                    "slice",
                    slice_,
                    f"{prefix}slices[{n}]",
                    params=map_node(slice_.get("parameters")),
                    module_params=module_params,
                )
                sources = slice_.get("sources")
                if sources is not None and sources.is_seq:
                    group.inputs = [i for i in (_input(e, self.references) for e in sources.items) if i is not None]
                own_base = slice_.get("base_model")
                if own_base is not None:
                    group.base_node, group.base_from_slice = own_base, True
                    group.base = _reference(own_base, self.references)
                else:
                    group.base_node, group.base = self.base_node, self.base
                self.groups.append(group)

    def parameter_maps(self):
        """Every `parameters:` mapping once, with whether it belongs to one model."""
        seen: set[int] = set()
        levels = [(self.params, False)]
        for group in self.groups:
            levels += [(group.params, False), (group.module_params, False)]
            levels += [(inp.params, True) for inp in group.listed]
        for node, per_model in levels:
            if node is not None and id(node) not in seen:
                seen.add(id(node))
                yield node, per_model

    def parameter_levels(self, group: Group, inp: Input | None) -> list[tuple[str, Node]]:
        """The `parameters:` mappings mergekit searches, highest precedence first."""
        levels = []
        if inp is not None and inp.params is not None:
            levels.append(("model", inp.params))
        for where, node in (("slice", group.params), ("module", group.module_params), ("top", self.params)):
            if node is not None:
                levels.append((where, node))
        return levels
