"""The merge method registry: every module in this package that defines METHOD.

Adding a method is one new file here; the schema, rules, editor features and
engine all find it through `METHODS`.
"""

from __future__ import annotations

import importlib
import pkgutil

from .spec import REQUIRED, BasePolicy, Bounds, InputContract, MergeMethod, Param, Scope


def _discover() -> dict[str, MergeMethod]:
    found: dict[str, MergeMethod] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        method = getattr(module, "METHOD", None)
        if isinstance(method, MergeMethod):
            if method.name in found:
                raise RuntimeError(f"merge method {method.name!r} declared twice")
            found[method.name] = method
    return found


METHODS: dict[str, MergeMethod] = _discover()


def get(name: str) -> MergeMethod | None:
    return METHODS.get(name)


__all__ = [
    "METHODS",
    "REQUIRED",
    "BasePolicy",
    "Bounds",
    "InputContract",
    "MergeMethod",
    "Param",
    "Scope",
    "get",
]
