"""The rules: every module in this package that defines RULE, ordered by code."""

from __future__ import annotations

import importlib
import pkgutil

from ..rule import Rule
from ..suppressions import UNUSED


def _discover() -> list[Rule]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            rule.docs = (module.__doc__ or "").strip()
            found.append(rule)
    found.sort(key=lambda r: r.code)
    return found


RULES: list[Rule] = _discover()
# unused-suppression is reported by the suppression pass, not by a check, but it is a rule
# like any other for --select/--ignore, settings and suppressions.
_BY_KEY = {key: rule for rule in (*RULES, UNUSED) for key in (rule.code, rule.name, *rule.aliases)}


def lookup(name_or_code: str) -> Rule | None:
    return _BY_KEY.get(name_or_code) or _BY_KEY.get(name_or_code.upper())
