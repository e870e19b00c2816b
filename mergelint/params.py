"""Static reading of parameter settings, following mergekit 0.1.5's resolver.

A setting can be a scalar, a per-layer gradient (list), or a list of
{filter, value} entries where the first entry whose filter is a substring of
the tensor name wins and no match falls through to the next level.
"""

from __future__ import annotations

import math

from merge_core import values
from merge_core.method_kit.spec import Param, ParamType, Scope

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


def malformed(setting: Node, schema_errors) -> bool:
    """Whether the schema already reports this setting or a part of it: invalid-value says
    what is wrong with its shape, and no other reading of it is reported beside that."""
    if not schema_errors:
        return False
    inside = {id(n) for n in setting.walk()}
    return any(issue.node is not None and id(issue.node) in inside for issue in schema_errors)


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
    """A value as mergekit reads a float parameter, or None where it fails or is NaN or
    infinite (invalid-value reports those; no range holds them)."""
    try:
        number = values.to_float(value)
    except values.ValueTypeError:
        return None
    return number if math.isfinite(number) else None


_MUST_BE = {
    ParamType.BOOL: "is true or false",
    ParamType.INT: "must be a whole number in digits (like 10)",
    ParamType.FLOAT: "must be a number",
    ParamType.OPTIONAL_FLOAT: "must be a number",
}


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def type_problem(param: Param, value: object) -> str | None:
    """Why this scalar cannot be used for the parameter's type, or None.

    mergekit 0.1.5 rejects what merge_core.values rejects, after downloading the models;
    it takes NaN and infinity, but then the merged weights come out NaN, so they are
    refused too.
    """
    return value_problem(param.name, param.type, value)


def value_problem(name: str, kind: ParamType, value: object, when: str = "after downloading the models",
                  who: str = "mergekit") -> str | None:
    """Why `value` cannot be read as a `kind` (as pydantic's lax mode reads it), or None; `when` `who` fails."""
    try:
        converted = values.VALIDATORS[kind](value)
    except values.ValueTypeError:
        if isinstance(value, int) and not isinstance(value, bool) and kind.numeric:
            what = f"{_shown(value)} is too large for a floating-point number (at most about 1.8e308); {who} fails on it"
        else:
            what = f"{_MUST_BE[kind]}; {who} fails on {_shown(value)}"
        return f"'{name}' {what} {when}"
    if isinstance(converted, float) and not math.isfinite(converted):
        return f"'{name}' must be a finite number: {who} takes {_shown(value)} and the merged weights come out NaN"
    return None
