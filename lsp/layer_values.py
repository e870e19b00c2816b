"""The value each output layer gets from a gradient list or a filtered value, as the planner reads it.

The planner's own pieces decide: merge_core.plan.layer_t says where a slice's layer reads its
gradients, merge_core.values.evaluate what a setting gives there. Layer counts come from the
config (`layer_range`) or the models' config.json; where a count is unknown there is no answer,
never a guess. Pre and post weights (embeddings, head) read t = 0 and are not layers here.
"""

from __future__ import annotations

from dataclasses import dataclass

from merge_core.errors import ConfigError
from merge_core.inspect import Inspector
from merge_core.plan import layer_t
from merge_core.values import VALIDATORS, evaluate
from mergelint.config_view import ConfigView, Group
from mergelint.document import Node

from .documents import within


@dataclass(frozen=True)
class Span:
    """The output layers one merge group makes: `first` (numbered within its module) and `length`."""

    first: int
    length: int
    total: int  # the module's output layer count

    @property
    def ts(self) -> list[float]:
        return [layer_t(i, self.length) for i in range(self.length)]


@dataclass(frozen=True)
class Setting:
    """One gradient list or filtered value, and the value it gives at each output layer."""

    node: Node  # where the hint goes: the list, or the filtered entry's `value`
    layers: list[tuple[int, object]]  # (output layer, value)
    note: str | None = None  # why these values never reach a tensor


def _module(group: Group) -> str:
    """"modules.text" of "modules.text.slices[0]"; "" for the default module."""
    return group.label.rpartition(".")[0]


def _model_layers(group: Group, inspector: Inspector, inp) -> int | None:
    if inp.layer_range is not None and group.kind == "slice":
        start, end = inp.layer_range
        return end - start
    if inp.ref is None or (group.kind == "models" and group.label.startswith("modules.")):
        return None  # a named module's layer count is not the model's
    res = inspector.resolve(inp.ref.model)
    return res.facts.num_layers if res.ok and res.facts is not None else None


def _length(group: Group, inspector: Inspector) -> int | None:
    lengths = {_model_layers(group, inspector, inp) for inp in group.inputs}
    return lengths.pop() if len(lengths) == 1 and None not in lengths else None


def spans(view: ConfigView, inspector: Inspector) -> dict[int, Span | None]:
    """Each group's output layers (by id of the group); None where a count before it is unknown."""
    lengths: dict[int, int | None] = {id(g): _length(g, inspector) for g in view.groups}
    found: dict[int, Span | None] = {}
    by_module: dict[str, list[Group]] = {}
    for group in view.groups:
        by_module.setdefault(_module(group), []).append(group)
    for groups in by_module.values():
        counts = [lengths[id(g)] for g in groups]
        total = sum(counts) if None not in counts else None
        first: int | None = 0
        for group, count in zip(groups, counts):
            if first is None or count is None or total is None:
                found[id(group)] = None
                first = None
                continue
            found[id(group)] = Span(first, count, total)
            first += count
    return found


def _levels(view: ConfigView) -> list[tuple[Node, list[Group]]]:
    """Every `parameters:` mapping with the groups that read it."""
    readers: dict[int, tuple[Node, list[Group]]] = {}

    def add(node: Node | None, group: Group) -> None:
        if node is not None:
            readers.setdefault(id(node), (node, []))[1].append(group)

    for group in view.groups:
        add(view.params, group)
        add(group.module_params, group)
        add(group.params, group)
        for inp in group.listed:
            add(inp.params, group)
    return list(readers.values())


def _values(setting: object, layers: list[tuple[int, float]], validate) -> list[tuple[int, object]] | None:
    try:
        return [(i, evaluate("", setting, t, validate)) for i, t in layers]
    except (ConfigError, OverflowError):
        return None  # the checker reports the bad value


def _shadowed(earlier: list[object], flt: object) -> str | None:
    """An earlier entry that matches every tensor this one's filter matches (mergekit takes the first)."""
    for before in earlier:
        if before is None or before == "*" or (isinstance(before, str) and isinstance(flt, str) and before in flt):
            return f"never used: the earlier entry (filter {before!r}) matches these tensors first" if before else \
                "never used: an earlier entry without a filter matches every tensor first"
    return None


def _settings_of(value: Node, layers: list[tuple[int, float]], validate) -> list[Setting]:
    entries = [value] if value.is_map else list(value.items) if value.is_seq else []
    if value.is_seq and len(entries) > 1 and all(e.is_scalar for e in entries):
        found = _values(value.value, layers, validate)
        return [Setting(value, found)] if found else []
    out, earlier = [], []
    for entry in entries:
        inner = entry.get("value") if entry.is_map else None
        if inner is None:
            return out  # not a list of {filter, value}: the schema check says so
        flt = entry.get("filter")
        flt_value = flt.value if flt is not None else None
        found = _values(inner.value, layers, validate)
        if found and flt is not None:
            out.append(Setting(inner, found, _shadowed(earlier, flt_value)))
        earlier.append(flt_value)
    return out


def settings(view: ConfigView, inspector: Inspector) -> list[Setting]:
    """Every gradient list and filtered value of the method's parameters whose layers are known."""
    if view.method is None:
        return []
    known = spans(view, inspector)
    out = []
    for node, groups in _levels(view):
        group_spans = [known.get(id(g)) for g in groups]
        if None in group_spans or len({_module(g) for g in groups}) > 1:
            continue  # unknown layers, or layers of several modules (each numbered from 0)
        layers = [(s.first + i, t) for s in group_spans for i, t in enumerate(s.ts)]
        for key, value in node.pairs:
            param = view.method.param(key.value) if isinstance(key.value, str) else None
            if param is not None and not value.is_scalar:
                out.extend(_settings_of(value, layers, VALIDATORS[param.type]))
    return out


def _source_layers(start: int, end: int) -> str:
    return f"layers {start}-{end - 1}" if end - start > 1 else f"layer {start}"


def produced(view: ConfigView, inspector: Inspector, line: int, column: int) -> str | None:
    """What the `layer_range` at a checker position makes: its output layers, of how many, from where."""
    known = spans(view, inspector)
    for group in view.groups:
        for inp in group.ranged:
            key = inp.entry.key_node("layer_range")
            if not any(n is not None and within(n, line, column) for n in (key, inp.layer_range_node)):
                continue
            start, end = inp.layer_range
            source = f"from `{inp.ref.model if inp.ref else 'this model'}` {_source_layers(start, end)}"
            span = known.get(id(group))
            if end <= start:
                return f"no output layers: the range [{start}, {end}] is empty"
            if span is None:
                return f"{source}; the output layers are unknown (an earlier slice's layer count is)"
            last = span.first + span.length - 1
            return f"output {_source_layers(span.first, last + 1)} of {span.total}, {source}"
    return None
