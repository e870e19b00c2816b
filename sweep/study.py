"""The Optuna study that proposes each trial's parameters, re-told the finished trials on --resume."""

from __future__ import annotations

import itertools

from . import domains
from .errors import SweepError
from .format import Sweep


def sampler(sweep: Sweep):
    import optuna

    if sweep.algorithm in ("grid", "random"):  # grid: every point is enqueued (new_study)
        return optuna.samplers.RandomSampler(seed=sweep.seed)
    if sweep.algorithm == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=sweep.seed)  # choices are sampled at random beside it
    return optuna.samplers.TPESampler(seed=sweep.seed)


def distributions(sweep: Sweep) -> dict:
    return {name: domains.distribution(d) for name, d in sweep.domains().items()}


def new_study(sweep: Sweep, finished: list[dict]):
    """A study in memory (results.jsonl is the record), told every finished trial so none is proposed again
    by grid and the model-based samplers learn from them."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=sweep.objective.direction, sampler=sampler(sweep))
    dists = distributions(sweep)
    for line in finished:
        ok = line.get("objective") is not None
        try:
            study.add_trial(optuna.trial.create_trial(
                params=line["params"], distributions=dists, value=line["objective"] if ok else None,
                state=optuna.trial.TrialState.COMPLETE if ok else optuna.trial.TrialState.FAIL))
        except (KeyError, TypeError, ValueError) as e:
            raise SweepError(f"results.jsonl: trial {line.get('trial')} does not fit this sweep's search "
                             f"({e}); was the search changed? Use another --out") from None
    if sweep.algorithm == "grid":
        _enqueue_grid(study, sweep, finished)
    return study


def _enqueue_grid(study, sweep: Sweep, finished: list[dict]) -> None:
    """The grid's points not yet finished, in order, for `ask` to hand out. (Optuna's GridSampler
    stops the study from inside `tell` when the grid is done, which only `optimize` allows.)"""
    space = {name: domains.grid_points(d, name) for name, d in sweep.domains().items()}
    done = [line["params"] for line in finished]
    for values in itertools.product(*space.values()):
        point = dict(zip(space, values))
        if point not in done:
            study.enqueue_trial(point)
