"""A mergekit-moe config as mergekit-moe reads it: base model, experts, shared experts, gate mode.

Made once per document by the checker (`ctx.moe`), so the moe rules do not each re-walk the
tree. Like ConfigView it tolerates any shape: a value of the wrong type is None here (the
schema check reports it), and defaults are mergekit's (merge_core.moe.language).
"""

from __future__ import annotations

from dataclasses import dataclass

from merge_core.language import BASE_MODEL
from merge_core.moe.language import (
    ARCHITECTURE, DEFAULT_EXPERTS_PER_TOKEN, DEFAULT_GATE_MODE, EXPERTS, EXPERTS_PER_TOKEN, GATE_MODE, NEGATIVE_PROMPTS,
    POSITIVE_PROMPTS, SHARED_EXPERTS, SOURCE_MODEL,
)
from merge_core.references import ModelReference
from merge_core.values import ValueTypeError, to_int

from .config_view import References
from .document import Node


def _prompts(node: Node | None) -> tuple[str, ...] | None:
    """A prompt list as pydantic reads it: () when absent or empty, None when it is no list of strings."""
    if node is None or node.is_scalar and node.value is None:
        return ()
    if node.is_seq and all(item.is_scalar and isinstance(item.value, str) for item in node.items):
        return tuple(item.value for item in node.items)
    return None


@dataclass(eq=False)
class Expert:
    entry: Node  # the `- source_model: ...` mapping
    index: int  # its place in its list (mergekit's "Expert {i}")
    shared: bool
    model_node: Node | None
    ref: ModelReference | None  # None when absent or malformed
    positive: tuple[str, ...] | None  # None: malformed
    negative: tuple[str, ...] | None

    @property
    def prompts(self) -> tuple | None:
        """mergekit's `prompt_tup`: (positive, negative), or None when either is malformed."""
        return None if self.positive is None or self.negative is None else (self.positive, self.negative)

    @property
    def label(self) -> str:
        return f"{SHARED_EXPERTS if self.shared else EXPERTS}[{self.index}]"


class MoeView:
    def __init__(self, root: Node):
        self.root = root
        self.references = References()
        self.base_node = root.get(BASE_MODEL)
        self.base = self._reference(self.base_node)
        self.experts_node = root.get(EXPERTS)
        # None: `experts` is missing or not a list, so nothing can be counted.
        self.experts = self._experts(self.experts_node, False)
        self.shared_node = root.get(SHARED_EXPERTS)
        self.shared_experts = self._experts(self.shared_node, True) or []
        self.gate_mode_node = root.get(GATE_MODE)
        self.gate_mode = self._value(self.gate_mode_node, str, DEFAULT_GATE_MODE)
        self.experts_per_token_node = root.get(EXPERTS_PER_TOKEN)
        self.experts_per_token = self._count(self.experts_per_token_node)
        self.architecture_node = root.get(ARCHITECTURE)
        self.architecture = self._value(self.architecture_node, str, None)

    @staticmethod
    def _value(node: Node | None, kind: type, default):
        if node is None:
            return default
        value = node.value if node.is_scalar else None
        return value if isinstance(value, kind) and not isinstance(value, bool) else None

    @staticmethod
    def _count(node: Node | None) -> int | None:
        """experts_per_token as pydantic reads it ("2" and true are numbers), None when it is none."""
        if node is None:
            return DEFAULT_EXPERTS_PER_TOKEN
        try:
            return to_int(node.value) if node.is_scalar else None
        except ValueTypeError:
            return None

    def _reference(self, node: Node | None) -> ModelReference | None:
        if node is None or not (node.is_map or node.is_scalar and isinstance(node.value, str)):
            return None
        return self.references.parse(node.value)[0]

    def _experts(self, node: Node | None, shared: bool) -> list[Expert] | None:
        if node is None or not node.is_seq:
            return None
        found = []
        for index, entry in enumerate(node.items):
            if entry.is_map:
                model = entry.get(SOURCE_MODEL)
                found.append(Expert(entry, index, shared, model, self._reference(model),
                                    _prompts(entry.get(POSITIVE_PROMPTS)), _prompts(entry.get(NEGATIVE_PROMPTS))))
        return found

    @property
    def all_experts(self) -> list[Expert]:
        return [*(self.experts or []), *self.shared_experts]

    def reference_nodes(self):
        """(node, role, None, None) of every node that holds a model reference, the base first,
        as ConfigView.reference_nodes gives them (role "base", "expert" or "shared-expert")."""
        if self.base_node is not None:
            yield self.base_node, "base", None, None
        for expert in self.all_experts:
            if expert.model_node is not None:
                yield expert.model_node, "shared-expert" if expert.shared else "expert", None, None
