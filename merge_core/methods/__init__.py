"""The merge method registry: every module in this package is one method and defines METHOD.

Adding a method is one new file here; the schema, rules, editor features, planner and
executor all find it through `METHODS`. What several methods share lives in
merge_core/method_kit/.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..method_kit.spec import MergeMethod


def _discover() -> dict[str, MergeMethod]:
    found: dict[str, MergeMethod] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        method = getattr(module, "METHOD", None)
        if not isinstance(method, MergeMethod):
            raise RuntimeError(f"{module.__name__} declares no METHOD: helpers belong in merge_core.method_kit")
        if method.name in found:
            raise RuntimeError(f"merge method {method.name!r} declared twice")
        found[method.name] = method
    return found


METHODS: dict[str, MergeMethod] = _discover()

__all__ = ["METHODS"]
