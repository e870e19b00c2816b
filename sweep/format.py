"""SWEEP.yml: the base config, what is searched, how trials are scored, by which algorithm (docs/sweep.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ruamel.yaml.error import YAMLError

from merge_core.tools import Tool, tool_of

from . import config_text, domains, objective as objective_mod, paths
from .errors import SweepError, where

ALGORITHMS = ("grid", "random", "tpe", "cmaes")
KEYS = ("base", "merge", "search", "objective", "algorithm", "seed", "trials")


@dataclass(frozen=True)
class Search:
    path: str  # as written: models[0].parameters.weight
    steps: tuple
    domains: tuple  # one domain, or one per point of a gradient
    gradient: bool

    def name(self, i: int | None = None) -> str:
        """The parameter's name in Optuna and results.jsonl: the path, `path[i]` for a gradient's points."""
        return self.path if i is None else f"{self.path}[{i}]"

    def names(self) -> list[str]:
        return [self.name(i) for i in range(len(self.domains))] if self.gradient else [self.name()]


@dataclass(frozen=True)
class Sweep:
    file: str
    base_text: str
    base_name: str  # the base config as messages name it
    searches: tuple[Search, ...]
    objective: objective_mod.Objective
    algorithm: str
    seed: int | None
    trials: int

    def domains(self) -> dict:
        return {s.name(i if s.gradient else None): d for s in self.searches for i, d in enumerate(s.domains)}


def load(sweep_file: str) -> Sweep:
    """The sweep, every search path checked against the base config: SweepError (exit 2) before any trial."""
    try:
        with open(sweep_file, encoding="utf-8") as f:
            text = f.read()
        doc = config_text.load(text)
    except (OSError, UnicodeDecodeError, YAMLError) as e:
        raise SweepError(f"{sweep_file}: cannot read the sweep: {e}") from None
    if not isinstance(doc, dict):
        raise SweepError(f"{sweep_file}: a sweep is a mapping with base (or merge), search and objective")
    unknown = [k for k in doc if k not in KEYS]
    if unknown:
        raise SweepError(f"{where(sweep_file, doc, unknown[0])}: unknown key {unknown[0]!r} "
                         f"(a sweep has {', '.join(KEYS)})")
    base_text, base_name = _base(doc, sweep_file, text)
    searches = _searches(doc, sweep_file, base_text, base_name)
    algorithm = doc.get("algorithm", "tpe")
    if algorithm not in ALGORITHMS:
        raise SweepError(f"{where(sweep_file, doc, 'algorithm')}: algorithm is one of {', '.join(ALGORITHMS)}")
    seed = doc.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise SweepError(f"{where(sweep_file, doc, 'seed')}: seed is a whole number")
    if "objective" not in doc:
        raise SweepError(f"{sweep_file}: no objective (perplexity: FILE.txt, python: module:function, lm_eval: TASK)")
    objective = objective_mod.parse(doc["objective"], sweep_file)
    sweep = Sweep(sweep_file, base_text, base_name, searches, objective, algorithm, seed, 0)
    return Sweep(**{**sweep.__dict__, "trials": _trials(doc, sweep)})


def _base(doc, sweep_file: str, text: str) -> tuple[str, str]:
    if ("base" in doc) == ("merge" in doc):
        raise SweepError(f"{sweep_file}: write either `base: merge.yml` or an inline `merge:` config (one of them)")
    if "merge" in doc:
        if not isinstance(doc["merge"], dict):
            raise SweepError(f"{where(sweep_file, doc, 'merge')}: `merge:` is a merge config (a mapping)")
        return config_text.dump(doc["merge"], text), f"{sweep_file} (merge:)"
    path = os.path.join(os.path.dirname(os.path.abspath(sweep_file)), str(doc["base"]))
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), str(doc["base"])
    except (OSError, UnicodeDecodeError) as e:
        raise SweepError(f"{where(sweep_file, doc, 'base')}: cannot read base config {doc['base']}: "
                         f"{getattr(e, 'strerror', None) or e} (a path relative to the sweep file)") from None


def _searches(doc, sweep_file: str, base_text: str, base_name: str) -> tuple[Search, ...]:
    search = doc.get("search")
    if not isinstance(search, dict) or not search:
        raise SweepError(f"{where(sweep_file, doc, 'search') if 'search' in doc else sweep_file}: `search:` maps "
                         "config paths (models[0].parameters.weight) to domains")
    try:
        base = config_text.load(base_text)
    except YAMLError as e:
        raise SweepError(f"{base_name}: cannot read the base config (one mergekit-yaml document): {e}") from None
    tool = tool_of(base_text, [[str(k) for k in base]] if isinstance(base, dict) else [])
    if tool is not Tool.YAML:  # trial.py merges with run_merge, mergekit-yaml's engine
        raise SweepError(f"{base_name}: a {tool.command} config; a sweep searches mergekit-yaml configs")
    found = []
    for path, node in search.items():
        at = where(sweep_file, search, path)
        steps = paths.parse(str(path))
        if steps is None:
            raise SweepError(f"{at}: search path {path!r} is not written as keys and [N] indexes "
                             "(models[0].parameters.weight)")
        try:
            paths.resolve(base, steps)
        except ValueError as e:
            raise SweepError(f"{at}: search path {path} is not in the base config {base_name}: {e}") from None
        gradient = isinstance(node, list)
        items = node if gradient else [node]
        if not items:
            raise SweepError(f"{at}: a gradient is a non-empty list of domains")
        at_item = [where(sweep_file, item) if hasattr(item, "lc") else at for item in items]
        found.append(Search(str(path), steps, tuple(domains.parse(d, a) for d, a in zip(items, at_item)), gradient))
    return tuple(found)


def _trials(doc, sweep: Sweep) -> int:
    """`trials:`; for grid, the grid's size (the default, and the most it can run)."""
    trials = doc.get("trials")
    if trials is not None and (not isinstance(trials, int) or isinstance(trials, bool) or trials < 1):
        raise SweepError(f"{where(sweep.file, doc, 'trials')}: trials is a whole number, 1 or more")
    if sweep.algorithm == "grid":
        size = 1
        for name, domain in sweep.domains().items():
            size *= len(domains.grid_points(domain, name))
        return min(trials or size, size)
    if trials is None:
        raise SweepError(f"{sweep.file}: `trials: N` is needed with algorithm {sweep.algorithm}")
    return trials
