"""merge_core.values reads parameter values exactly as mergekit 0.1.5 does.

Each value of the table (and of a generated stream of number-like strings) goes through
mergekit's own machinery: its config model parses the setting (`ParameterSetting`) and
`parameter_resolver.resolve_parameter` evaluates it with a `ParameterSpec` of each type
mergekit declares. Our converter must give the same value or reject it too.
"""

from __future__ import annotations

import math
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mergekit.config import ParameterSetting
from mergekit.merge_methods.base import ParameterScope, ParameterSpec
from mergekit.parameter_resolver import resolve_parameter
from pydantic import TypeAdapter

from merge_core import values
from merge_core.errors import ConfigError

TYPES = {"bool": bool, "int": int, "float": float, "optional_float": Optional[float]}
SPECS = {name: ParameterSpec("p", t, ParameterScope.SHARED) for name, t in TYPES.items()}
SETTING = TypeAdapter(ParameterSetting)
TENSOR = "model.layers.3.self_attn.q_proj.weight"
REJECTED = "rejected"

SCALARS = [
    # booleans: case variants, spaces, YAML 1.1 words
    " TRUE ", "TRUE", "True", "tRuE", "yes", "yes ", "YES", "on", "On", "off", "t", "T", "f", "y", "n",
    "no", "false", " 1 ", "1", "0", "", " ", True, False,
    # numbers written as text
    "1e3", "1E5", "1e-5", "1.5e+3", "1_000", "1__000", "_1", "1_", "-_1", "1._5", "1e_5", "1_000.5",
    "0x10", "0b1", "0o7", "1j", "1.0", "1.00", "1.", ".5", "+.5", "-0", "-0.0", "+1", "+ 1", "0001",
    "01.0", "1_0.0", "1.0_0", "10.0", " 10 ", "\t1\n", "\u00a01", "1\u2003", "\x1c1", "1 000", "\uff11",
    "\u0663", "1.0000000000000000000001", "99999999999999999999.0", "1e308", "1e309", "-1e309",
    "4.9e-325", "1" * 400, "1" * 4300, "1" * 4301, "-" + "1" * 4300, "-" + "1" * 4301, "00" + "1" * 4300,
    "1" * 4300 + ".0", "1" * 4299 + "_1",
    "nan", "NaN", "-nan", "inf", "-inf", "+inf", "INF", "Infinity", "infinit", "nan(1)", "1e", "e5",
    # numbers
    0, 1, 2, -1, 1.0, 0.0, -0.0, 1.5, 0.5, 1e20, 1e300, 2.0**63, 2.0**63 - 1024, -(2.0**63),
    2**63, 10**308, 10**400, -(10**400), 2**1024 - 2**970 - 1, 2**1024 - 2**970,
    math.nan, math.inf, -math.inf,
]

SETTINGS = [
    *SCALARS,
    None,
    [],
    [0, 1],
    [0.0, 0.5, 1.0],
    ["0", "1e3"],
    [" 1 ", "2"],
    [1, 3],
    [1, 2],
    [True, 0.5],
    ["yes", "no"],
    ["yes ", "no"],
    [1, "x"],
    [0, math.nan],
    [0, 10**400],
    [1, None],
    [[1, 2]],
    {"value": "1e3"},
    {"value": [0, 1], "filter": "self_attn"},
    {"value": 1, "filter": "mlp"},
    {"filter": "mlp"},
    [{"filter": "mlp", "value": 2}, {"value": "0.5"}],
    [{"filter": "*", "value": " on"}],
    [{"value": 1}, 2],
    {"value": None},
]


def mergekit(type_: str, setting, t: float):
    try:
        parsed = SETTING.validate_python(setting)
        return resolve_parameter(SPECS[type_], [{"p": parsed}], tensor_name=TENSOR, t=t)
    except Exception:  # pydantic's ValidationError, or mergekit's own RuntimeError
        return REJECTED


def ours(type_: str, setting, t: float):
    try:
        return values.resolve("p", type_, [{"p": setting}], TENSOR, t, required=True, default=None, location="x")
    except ConfigError:
        return REJECTED


def same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


@pytest.mark.parametrize("type_", sorted(TYPES))
@pytest.mark.parametrize("setting", SETTINGS, ids=lambda v: repr(v)[:40])
def test_converter_agrees_with_mergekit(type_, setting):
    for t in (0.0, 0.5, 1.0):
        theirs, mine = mergekit(type_, setting, t), ours(type_, setting, t)
        assert same(mine, theirs), f"{type_} {setting!r:.60} at t={t}: mergekit {theirs!r:.60}, ours {mine!r:.60}"


_NUMBERISH = st.text(alphabet="0123456789+-._eEinfatyo \t", max_size=12)


@settings(max_examples=300, deadline=None)
@given(_NUMBERISH)
def test_converter_agrees_on_generated_text(text):
    for type_ in TYPES:
        theirs, mine = mergekit(type_, text, 0.0), ours(type_, text, 0.0)
        assert same(mine, theirs), f"{type_} {text!r}: mergekit {theirs!r}, ours {mine!r}"


def test_the_issue_values_are_rejected_where_mergekit_rejects_them():
    # These passed the checker before while mergekit's pydantic failed on them.
    assert ours("bool", " TRUE ", 0) == ours("bool", "yes ", 0) == REJECTED
    assert ours("int", "1e3", 0) == REJECTED
    assert ours("float", "1e3", 0) == 1000.0
    assert ours("float", 10**400, 0) == REJECTED  # was an OverflowError
