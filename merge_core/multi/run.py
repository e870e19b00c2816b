"""Running a mergekit-multi stream: each stage merged by `run.run_merge`, in dependency order.

Each stage is an ordinary run: its folder is checked and published as any OUT is
(merge_core.output_dir), a named stage into `INTERMEDIATE_DIR/NAME`, the unnamed one into OUT.
An intermediate folder that mergelint wrote is replaced when stale (that is what the folder is
for); one it did not write is refused. mergekit-multi's lazy mode skips a stage whose folder
holds a config.json and a model file; here a stage is skipped only when its folder is a
complete output (every file its marker lists is there) made from the same config and options,
and rerun otherwise, saying why.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Callable

import yaml

from ..errors import ConfigError
from ..output_dir import MARKER, OutputRefused, complete_output, within
from .stages import Stage, StreamError, order, output_folder, rewritten, split


class OutRequired(ConfigError):
    """The stream has an unnamed final merge and no OUT was given (a usage error, as in mergekit-multi)."""


@dataclass
class StageRun:
    stage: Stage
    out: str  # where it is written
    text: str  # its config as run: references to stages point at their folders


def prepare(text: str, intermediate_dir: str, out: str | None) -> list[StageRun]:
    """The stages in the order they run; mergekit-multi's errors as ConfigError."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}") from None
    try:
        stages = order(split(documents))
    except StreamError as e:
        raise ConfigError(str(e)) from None
    names = {s.name for s in stages if s.name is not None}
    runs = []
    for stage in stages:
        if stage.name is None and out is None:
            raise OutRequired("OUT is required when the stream has an unnamed final merge "
                              "(mergekit-multi: --out-path is required)")
        config = rewritten(stage, names, intermediate_dir)
        runs.append(StageRun(stage, output_folder(stage, intermediate_dir, out),
                             yaml.safe_dump(config, sort_keys=False, allow_unicode=True)))
    return runs


def stale(run: StageRun, options) -> str | None:
    """Why a stage's folder must be merged again, or None when it is complete and current."""
    from ..run import recipe

    if not os.path.lexists(run.out):
        return "not merged yet"
    marker = complete_output(run.out)
    if marker is None:
        return (f"{run.out} is no complete mergelint output (no {MARKER} listing files that are all there)")
    if marker.get("recipe") != recipe(run.text, options):
        return f"{run.out} was merged from another config or other options"
    return None


def _check_final(runs: list[StageRun], out: str | None) -> None:
    """OUT may not be, hold or lie in a stage's folder: found before any stage is merged."""
    if out is None:
        return
    final = os.path.realpath(out)
    for run in runs:
        folder = os.path.realpath(run.out)
        if run.stage.name is not None and (within(final, folder) or within(folder, final)):
            raise OutputRefused(f"{out}: OUT overlaps the folder of stage '{run.stage.name}' ({run.out}); "
                                "write the final merge outside the intermediate folders")


def run_stream(text: str, intermediate_dir: str, out: str | None, options, *, lazy: bool = True,
               on_stage: Callable[[StageRun, str | None], None] | None = None, **merge_kwargs) -> list:
    """Merge every stage that needs it; `on_stage(run, why)` before each (why None: skipped).
    Returns the run.Result of each merged stage."""
    from ..run import run_merge

    runs = prepare(text, intermediate_dir, out)
    _check_final(runs, out)
    results = []
    for run in runs:
        why = stale(run, options) if lazy else "--no-lazy"
        if on_stage is not None:
            on_stage(run, why)
        if why is None:
            continue
        # A named stage's folder is the stream's own: an earlier mergelint output there is replaced.
        stage_options = options if run.stage.name is None else replace(options, force=True)
        results.append(run_merge(run.text, run.out, stage_options, **merge_kwargs))
    return results
