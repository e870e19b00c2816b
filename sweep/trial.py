"""One trial, as a Ray task runs it: merge the sampled config with the bundled engine, score it, clean up.

Everything a trial can fail at (a merge error, an objective that raises or is not finite) comes back
as its record's `error`, never as an exception: the sweep goes on and results.jsonl says why.
"""

from __future__ import annotations

import math
import os
import shutil
import time
from dataclasses import dataclass

from .objective import Objective, score


@dataclass(frozen=True)
class TrialSpec:
    number: int
    params: dict
    config: str  # the sampled config's text
    out: str  # the merged model's folder
    objective: Objective
    keep: bool  # leave the merged model in `out` (--keep best|all)
    cwd: str  # where the sweep was started: relative model paths resolve there, as `mergelint run`'s do
    seed: int | None = None


def record(spec: TrialSpec, objective: float | None, seconds: float, error: str | None = None) -> dict:
    """A results.jsonl line: trial, params, objective, (error,) seconds, config."""
    line = {"trial": spec.number, "params": spec.params, "objective": objective}
    if error is not None:
        line["error"] = error
    return {**line, "seconds": round(seconds, 3), "config": spec.config}


def run_trial(spec: TrialSpec) -> dict:
    from merge_core.errors import MergeError
    from merge_core.run import Options, run_merge

    started = time.monotonic()
    # A Ray worker is a long-lived process started elsewhere; relative model paths must mean what
    # they meant to the user, so the trial runs from the sweep's folder (a worker runs one task at a time).
    os.chdir(spec.cwd)
    value, error = None, None
    try:
        options = Options(seed=spec.seed, force=True)  # force: a retried task may find its own earlier output
        run_merge(spec.config, spec.out, options)
        value = score(spec.objective, spec.out)
        if not math.isfinite(value):
            value, error = None, f"objective is {value}"
    except MergeError as e:
        error = f"merge: {e}"
    except Exception as e:  # noqa: BLE001  (an objective's own code may raise anything; the sweep goes on)
        error = f"{type(e).__name__}: {e}"
    finally:
        if not spec.keep or error is not None:
            shutil.rmtree(spec.out, ignore_errors=True)
    return record(spec, value, time.monotonic() - started, error)
