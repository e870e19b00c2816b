"""Static reading of parameter settings, following mergekit 0.1.5's resolver.

A setting can be a scalar, a per-layer gradient (list), or a list of
{filter, value} entries where the first entry whose filter is a substring of
the tensor name wins and no match falls through to the next level.
"""

from __future__ import annotations

from merge_core.methods import Param, Scope

from .config_view import ConfigView, Group, Input
from .document import Node

ALL, SOME, NONE = "all", "some", "none"


def _catch_all(entry: Node) -> bool:
    flt = entry.get("filter") if entry.is_map else None
    return flt is None or flt.value in (None, "", "*")


def coverage(setting: Node | None) -> str:
    """Whether a setting gives a value for every tensor, only some (filters), or none."""
    if setting is None or setting.value is None:
        return NONE
    if setting.is_map:
        return ALL if _catch_all(setting) else SOME
    if setting.is_seq:
        if not setting.items:
            return NONE  # an empty list counts as unset
        conditionals = [item for item in setting.items if item.is_map]
        if not conditionals:
            return ALL
        return ALL if any(_catch_all(c) for c in conditionals) else SOME
    return ALL


def resolve(view: ConfigView, group: Group, inp: Input | None, param: Param) -> tuple[str, list[Node]]:
    """How well `param` is set for one input (or for the group when shared).

    Returns the coverage and the setting nodes that contribute, highest precedence first.
    """
    found: list[Node] = []
    target = inp if param.scope is not Scope.SHARED else None
    for _, params in view.parameter_levels(group, target):
        setting = params.get(param.name)
        cov = coverage(setting)
        if cov == NONE:
            continue
        found.append(setting)
        if cov == ALL:
            return ALL, found
    return (SOME if found else NONE), found


def reads(param: Param, group: Group, inp: Input) -> bool:
    """Whether mergekit evaluates this per-model parameter for this input."""
    return param.scope is Scope.INPUT or not group.is_base(inp)


def scalars(setting: Node | None) -> list[Node]:
    """Every scalar value node inside a setting (gradient elements, conditional values)."""
    if setting is None:
        return []
    if setting.is_scalar:
        return [setting] if setting.value is not None else []
    if setting.is_map:
        return scalars(setting.get("value"))
    out: list[Node] = []
    for item in setting.items:
        out.extend(scalars(item))
    return out


def as_number(value: object) -> float | None:
    """A value as mergekit's lax float conversion reads it, or None if it can't."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_BOOL_WORDS = {"yes", "no", "on", "off", "true", "false", "t", "f", "y", "n", "1", "0"}


def type_problem(param: Param, value: object) -> str | None:
    """Why mergekit 0.1.5 would reject this scalar for the parameter's type, or None."""
    if param.type == "bool":
        if isinstance(value, bool) or value in (0, 1):
            return None
        if isinstance(value, str) and value.strip().lower() in _BOOL_WORDS:
            return None
        return f"'{param.name}' is true or false"
    number = as_number(value)
    if number is None:
        return f"'{param.name}' must be a number"
    if param.type == "int" and not float(number).is_integer():
        return f"'{param.name}' must be a whole number"
    return None
