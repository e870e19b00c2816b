"""Parameter values as mergekit 0.1.5 reads them: lax type coercion, gradients, filters.

mergekit validates every value with pydantic in lax mode against the parameter's
declared type; these functions accept and reject the same inputs (see
/tmp notes in the spec, section 1.8 and 12) without importing pydantic.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from .errors import ConfigError

_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}
_FLOAT_RE = re.compile(
    r"^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d*(?:_\d+)*(?:[eE][+-]?\d+)?|inf|infinity|nan)\s*$",
    re.IGNORECASE,
)
_INT_RE = re.compile(r"^\s*[+-]?\d+(?:\.0*)?\s*$")


class ValueTypeError(ConfigError):
    pass


def _fail(kind: str, value: Any, why: str) -> ValueTypeError:
    return ValueTypeError(f"invalid {kind} value {value!r}: {why}")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, float) and value in (0.0, 1.0):
        return bool(value)
    if isinstance(value, str):
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise _fail("boolean", value, "expected true/false, 0/1, yes/no or on/off")


def to_float(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.strip() and _FLOAT_RE.match(value):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _fail("number", value, "unable to parse it as a number")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise _fail("integer", value, "got a number with a fractional part")
    if isinstance(value, str) and _INT_RE.match(value):
        return int(float(value.strip()))
    raise _fail("integer", value, "unable to parse it as an integer")


def to_optional_float(value: Any) -> float | None:
    return None if value is None else to_float(value)


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "bool": to_bool,
    "float": to_float,
    "int": to_int,
    "optional_float": to_optional_float,
}


def _scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str))


def evaluate(tensor_name: str, setting: Any, t: float, validate: Callable[[Any], Any]) -> Any:
    """One setting at one tensor and layer position; None means "not set here".

    - a scalar is validated as is;
    - a list of scalars is a gradient: numeric values are interpolated at t,
      other values (booleans) are picked stepwise;
    - a list of {filter, value} mappings (or one bare mapping) gives the value of
      the first entry whose filter is absent, "*", or a substring of the name.
    """
    if isinstance(setting, dict):
        setting = [setting]
    if _scalar(setting):
        return validate(setting)
    if not isinstance(setting, list):
        if setting is None:
            return None
        raise ConfigError(f"unexpected parameter value {setting!r}")
    if not setting:
        return None
    if all(_scalar(e) for e in setting):
        values = [validate(e) for e in setting]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            return values[int(t * (len(values) - 1))]
        scaled = t * (len(setting) - 1)
        i0 = int(scaled)
        i1 = min(len(setting) - 1, i0 + 1)
        frac = scaled - i0
        return validate((1 - frac) * values[i0] + frac * values[i1])
    for cond in setting:
        if not isinstance(cond, dict) or "value" not in cond:
            raise ConfigError(f"unexpected parameter value {setting!r}")
        flt = cond.get("filter")
        if flt is None or flt == "*" or (tensor_name and str(flt) in tensor_name):
            return evaluate(tensor_name, cond["value"], t, validate)
    return None


def resolve(
    name: str,
    type_: str,
    levels: list[dict | None],
    tensor_name: str,
    t: float,
    *,
    required: bool,
    default: Any,
    location: str,
) -> Any:
    """The first level (highest precedence first) that sets `name` to a non-None value."""
    validate = VALIDATORS[type_]
    for level in levels:
        if level is not None and name in level:
            try:
                value = evaluate(tensor_name, level[name], t, validate)
            except ValueTypeError as e:
                raise ConfigError(f"parameter {name} for {location}: {e}") from None
            if value is not None:
                return value
    if required:
        raise ConfigError(f"Missing required parameter {name} for {location}")
    return validate(default) if default is not None else None
