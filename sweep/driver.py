"""The sweep's driver: trials proposed by Optuna (ask and tell), run as Ray tasks, recorded as they finish.

Ray core tasks, not Tune: a trial is one function call (merge, score, clean up) and results.jsonl is
the sweep's only record, so resume keeps it byte for byte; Tune would add its own experiment state
and trial folders beside it. Ray places each task where its memory fits; the driver only keeps
`slots` trials in flight, so that TPE and CMA-ES propose each trial knowing the ones before it.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from dataclasses import dataclass

from . import cluster, config_text, format as sweep_format, plot
from .checks import Checker
from .progress import Progress
from .results import Results
from .study import distributions, new_study
from .trial import TrialSpec, record, run_trial

KEEP = ("none", "best", "all")


@dataclass
class Run:
    sweep: sweep_format.Sweep
    results: Results
    keep: str
    progress: Progress

    def model_dir(self, number: int) -> str:
        return os.path.join(os.path.abspath(self.results.folder), "models", f"trial-{number:04d}")

    def spec(self, number: int, params: dict) -> TrialSpec:
        text = config_text.sampled(self.sweep.base_text, self.sweep.searches, params)
        return TrialSpec(number, params, text, self.model_dir(number), self.sweep.objective,
                         self.keep != "none", os.getcwd(), self.sweep.seed)

    def failed(self) -> int:
        return sum(1 for r in self.results.finished if r.get("objective") is None)

    def finish(self, study, trial, line: dict) -> None:
        """Record a finished trial, tell Optuna, and keep best.yml (and with --keep best, its model) current."""
        import optuna

        before = self.results.best()
        self.results.append(line)
        ok = line["objective"] is not None
        study.tell(trial, line["objective"] if ok else None,
                   state=optuna.trial.TrialState.COMPLETE if ok else optuna.trial.TrialState.FAIL)
        best = self.results.best()
        if best is line:
            self.results.write_best(line)
        if self.keep == "best" and ok:  # the loser's model goes: the previous best, or this one
            loser = before if best is line else line
            if loser is not None:
                shutil.rmtree(self.model_dir(loser["trial"]), ignore_errors=True)

    def show(self, running: int) -> None:
        self.progress.show(len(self.results.finished), running, self.failed(),
                           self.results.best())


def sweep(sweep_file: str, out: str, *, workers: int | None, address: str | None, keep: str, resume: bool,
          stream) -> Results:
    """Run SWEEP_FILE's missing trials into OUT; SweepError (exit 2) for unusable input, before any trial."""
    parsed = sweep_format.load(sweep_file)
    results = Results(out, resume, parsed.objective.direction)
    done = {r.get("trial") for r in results.finished}
    todo = deque(n for n in range(parsed.trials) if n not in done)
    study = new_study(parsed, results.finished)
    memory = cluster.trial_memory(parsed.base_text)
    run = Run(parsed, results, keep, Progress(stream, parsed.trials, len(results.finished)))
    checker = Checker(sweep_file)
    import ray

    slots = cluster.connect(address, workers)
    try:
        cluster.check_fits(memory)
        task = ray.remote(num_cpus=1, max_retries=1)(run_trial)
        if memory is not None:
            task = task.options(memory=memory)
        _loop(run, study, todo, checker, task, slots)
    finally:
        run.progress.close()
        ray.shutdown()
    note = plot.write(results, f"{os.path.basename(sweep_file)}: {parsed.algorithm}, "
                               f"{parsed.objective.kind} ({parsed.objective.direction})")
    if note:
        stream.write(f"mergelint: note: {note}\n")
    return results


def _loop(run: Run, study, todo: deque, checker: Checker, task, slots: int) -> None:
    import ray

    dists = distributions(run.sweep)
    running: dict = {}
    while todo or running:
        while todo and len(running) < slots:
            number = todo.popleft()
            trial = study.ask(fixed_distributions=dists)
            spec = run.spec(number, trial.params)
            refused = checker.errors(spec.config, f"trial {number}")
            if refused:  # never merged: the checker's findings are the trial's error
                run.finish(study, trial, record(spec, None, 0.0, "checker: " + "; ".join(refused)))
                continue
            running[task.remote(spec)] = (trial, spec)
        run.show(len(running))
        if not running:
            continue
        [ref], _ = ray.wait(list(running), num_returns=1)
        trial, spec = running.pop(ref)
        try:
            line = ray.get(ref)
        except ray.exceptions.RayError as e:  # the worker died (killed for memory, a lost node) after its retry
            line = record(spec, None, 0.0, f"ray: {type(e).__name__}: {str(e).strip().splitlines()[0]}")
        run.finish(study, trial, line)
        run.show(len(running))
