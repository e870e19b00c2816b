"""Parameter values as mergekit 0.1.5 reads them: lax type coercion, gradients, filters.

mergekit validates every value with a pydantic TypeAdapter in lax mode against the
parameter's declared type (bool, int, float, Optional[float]). These functions accept and
reject the same inputs and give the same values, without importing pydantic; the checker
and the engine both use them, and tests/test_values.py holds them to mergekit itself.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from .errors import ConfigError
from .method_kit.spec import ParamType

# pydantic compares the whole string, ASCII case-insensitive and unstripped ("yes " is no boolean).
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}
# pydantic trims numbers with Rust's str::trim (Unicode White_Space), which keeps the
# separators U+001C-U+001F that Python's str.strip would drop.
_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# Rust's f64 grammar, ASCII digits only (Python's float() also takes other scripts' digits).
_FLOAT_RE = re.compile(r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)", re.IGNORECASE | re.ASCII)
# A JSON integer, the only form pydantic's int parser (jiter) reads once the text is cleaned.
_JSON_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)", re.ASCII)
_INT_MAX_DIGITS = 4300  # jiter's (and CPython's) limit on the digits of an integer written as text
_I64 = 2**63  # pydantic turns a float into an int only strictly inside i64


class ValueTypeError(ConfigError):
    pass


def _fail(kind: str, value: Any, why: str) -> ValueTypeError:
    return ValueTypeError(f"invalid {kind} value {value!r}: {why}")


def _strip_underscores(text: str) -> str | None:
    if text.startswith("_") or text.endswith("_") or "_" not in text or "__" in text:
        return None
    return text.replace("_", "")


def _strip_leading_zeros(text: str) -> str | None:
    # pydantic-core's rule, quirks included: "0-1" reads as -1, "0_0" as 0, "00.0" as "0.0".
    if not text or text[0] not in "0123456789-":
        return None
    if text[0] != "0":
        return text
    for i, c in enumerate(text[1:], 1):
        if c in "123456789-":
            return text[i:]
        if c == ".":
            return text[i - 1 :]
        if c not in "0_":
            return None
    return text[-1]


def _clean_int(value: str) -> str | None:
    """pydantic-core's clean_int_str: the text its int parser retries after a first failure."""
    text = value.strip(_SPACE)
    if text.startswith("+"):
        if text[1:].startswith("-"):
            return None
        text = text[1:]
    sign = ""
    if text.startswith("-"):
        if text[1:2] in ("-", "+") and text[1:2]:
            return None
        sign, text = "-", text[1:]
    text = _strip_leading_zeros(text)
    if text is None:
        return None
    dot = text.find(".")
    if dot >= 0 and text[dot + 1 :] and not text[dot + 1 :].strip("0"):
        text = text[:dot]
    stripped = _strip_underscores(text)
    if stripped is not None:
        return sign + stripped
    return None if len(value) == len(text) else sign + text


def _json_int(text: str) -> int | None:
    if not _JSON_INT_RE.fullmatch(text) or len(text.lstrip("-")) > _INT_MAX_DIGITS:
        return None
    return int(text)


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.isascii():
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise _fail("boolean", value, "expected true/false, 0/1, yes/no, on/off, t/f or y/n, without spaces")


def to_float(value: Any) -> float:
    if isinstance(value, (bool, float)):
        return float(value)
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise _fail("number", value, "too large for a floating-point number") from None
    if isinstance(value, str):
        # Rust's parser on the trimmed text, then on the untrimmed text without underscores.
        for text in (value.strip(_SPACE), _strip_underscores(value)):
            if text is not None and _FLOAT_RE.fullmatch(text):
                return float(text)
    raise _fail("number", value, "unable to parse it as a number")


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail("integer", value, "not a finite number")
        if not value.is_integer():
            raise _fail("integer", value, "got a number with a fractional part")
        if not -_I64 < value < _I64:
            raise _fail("integer", value, "too large for a 64-bit integer")
        return int(value)
    if isinstance(value, str):
        # jiter reads the text as a JSON integer; only text it cannot read is cleaned and retried.
        text = value if _JSON_INT_RE.fullmatch(value) else _clean_int(value)
        number = None if text is None else _json_int(text)
        if number is not None:
            return number
    raise _fail("integer", value, "unable to parse it as an integer")


def to_optional_float(value: Any) -> float | None:
    return None if value is None else to_float(value)


VALIDATORS: dict[ParamType, Callable[[Any], Any]] = {
    ParamType.BOOL: to_bool,
    ParamType.FLOAT: to_float,
    ParamType.INT: to_int,
    ParamType.OPTIONAL_FLOAT: to_optional_float,
}


def _scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str))


def _conditional(entry: Any) -> bool:
    """A {filter, value} entry as mergekit's ConditionalParameter model accepts it."""
    if not isinstance(entry, dict) or "value" not in entry:
        return False
    value, flt = entry["value"], entry.get("filter")
    gradient = isinstance(value, list) and all(_scalar(e) for e in value)
    return (_scalar(value) or gradient) and (flt is None or isinstance(flt, str))


def evaluate(tensor_name: str, setting: Any, t: float, validate: Callable[[Any], Any]) -> Any:
    """One setting at one tensor and layer position; None means "not set here".

    - a scalar is validated as is;
    - a list of scalars is a gradient: numeric values are interpolated at t,
      other values (booleans) are picked stepwise;
    - a list of {filter, value} mappings (or one bare mapping) gives the value of
      the first entry whose filter is absent, "*", or a substring of the name.
    Any other shape (null, nested lists, a list mixing scalars and mappings) fails when
    mergekit loads the config.
    """
    if isinstance(setting, dict):
        setting = [setting]
    if _scalar(setting):
        return validate(setting)
    if not isinstance(setting, list):
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
        try:
            return validate((1 - frac) * values[i0] + frac * values[i1])
        except OverflowError:
            raise ValueTypeError(f"invalid gradient {setting!r}: too large for a floating-point number") from None
    if not all(_conditional(e) for e in setting):
        raise ConfigError(f"unexpected parameter value {setting!r}")
    for cond in setting:
        flt = cond.get("filter")
        if flt is None or flt == "*" or (tensor_name and flt in tensor_name):
            return evaluate(tensor_name, cond["value"], t, validate)
    return None


def resolve(
    name: str,
    type_: ParamType,
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
