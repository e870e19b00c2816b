"""What a searched value may be: `{range: [lo, hi]}` (`log: true`, `steps: N` for grid), `{choices: [...]}`.

Ranges are always real numbers (a weight written `[0, 1]` is not an integer search); discrete
values are written as choices. Each domain becomes one Optuna distribution, and for `grid` a list
of points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import SweepError

CHOICE_TYPES = (bool, int, float, str)  # what Optuna's CategoricalDistribution stores


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    log: bool = False
    steps: int | None = None  # grid points, lo and hi included


@dataclass(frozen=True)
class Choices:
    values: tuple


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value):
    """ruamel's scalar subclasses as the plain values Optuna and JSON store."""
    for kind in CHOICE_TYPES:
        if isinstance(value, kind):
            return kind(value)
    return value


def parse(node, at: str):
    """A domain from its YAML mapping; SweepError naming `at` (file:line) when it is not one."""
    if not isinstance(node, dict):
        raise SweepError(f"{at}: a domain is a mapping: {{range: [lo, hi]}} or {{choices: [...]}}")
    keys = set(node)
    if "choices" in node:
        if keys - {"choices"}:
            raise SweepError(f"{at}: `choices` takes no other key (found {', '.join(sorted(keys - {'choices'}))})")
        values = node["choices"]
        if not isinstance(values, list) or not values or not all(isinstance(v, CHOICE_TYPES) for v in values):
            raise SweepError(f"{at}: `choices` is a non-empty list of numbers, strings or booleans")
        return Choices(tuple(_plain(v) for v in values))
    if "range" not in node or keys - {"range", "log", "steps"}:
        raise SweepError(f"{at}: a domain is {{range: [lo, hi]}} (with `log`, `steps`) or {{choices: [...]}}; "
                         f"found {', '.join(sorted(str(k) for k in keys)) or 'nothing'}")
    bounds, log, steps = node["range"], node.get("log", False), node.get("steps")
    if not (isinstance(bounds, list) and len(bounds) == 2 and all(_number(b) for b in bounds) and bounds[0] < bounds[1]):
        raise SweepError(f"{at}: `range` is [lo, hi], two finite numbers with lo < hi")
    if not isinstance(log, bool) or (log and bounds[0] <= 0):
        raise SweepError(f"{at}: `log: true` needs lo > 0 (and `log` is true or false)")
    if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 2):
        raise SweepError(f"{at}: `steps` is a whole number of grid points, 2 or more")
    return Range(float(bounds[0]), float(bounds[1]), log, steps)


def distribution(domain):
    import optuna

    if isinstance(domain, Choices):
        return optuna.distributions.CategoricalDistribution(list(domain.values))
    return optuna.distributions.FloatDistribution(domain.lo, domain.hi, log=domain.log)


def grid_points(domain, name: str) -> list:
    """The grid's values of one domain: its choices, or `steps` points spaced evenly (geometrically with log)."""
    if isinstance(domain, Choices):
        return list(domain.values)
    if domain.steps is None:
        raise SweepError(f"algorithm grid: {name}: a range needs `steps: N` (how many grid points)")
    n = domain.steps - 1
    if domain.log:
        ratio = domain.hi / domain.lo
        return [domain.lo * ratio ** (i / n) for i in range(n)] + [domain.hi]
    return [domain.lo + (domain.hi - domain.lo) * i / n for i in range(n)] + [domain.hi]
