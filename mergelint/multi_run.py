"""`mergelint run` and `plan` of a mergekit-multi stream: the stages, each said as it goes.

The stages themselves are merge_core.multi's (order, rewriting, the lazy skip); here is only
what the command line says about them, so that cli.py stays the wiring of options.
"""

from __future__ import annotations

import click


class StreamRunner:
    """Merges a stream as cli._merge merges one config (`run_merge`'s signature); returns the
    last merged stage's Result, None when every stage was up to date."""

    def __init__(self, intermediate_dir: str, lazy: bool, quiet: bool):
        self.intermediate_dir, self.lazy, self.quiet = intermediate_dir, lazy, quiet
        self._final = False  # whether the stream had an unnamed final merge (set as the stages run)

    def __call__(self, text, out, options, **kwargs):
        from merge_core.multi.run import run_stream

        results = run_stream(text, self.intermediate_dir, out, options, lazy=self.lazy, on_stage=self._said, **kwargs)
        if out is not None and not self._final and not self.quiet:  # as mergekit-multi, which ignores it
            click.echo(f"mergelint: note: {out} is not written: the stream has no unnamed final merge", err=True)
        return results[-1] if results else None

    def _said(self, run, why) -> None:
        self._final = self._final or run.stage.name is None
        if self.quiet:
            return
        what = f"stage '{run.stage.name}'" if run.stage.name is not None else "the final merge"
        click.echo(f"mergelint: {what}: " + (f"up to date in {run.out}, skipped" if why is None
                                                 else f"merging into {run.out} ({why})"), err=True)

    def dry_run(self, text, options, render_one) -> None:
        show_plans(plans(text, self.intermediate_dir, options), "text", render_one)


def plans(text: str, intermediate_dir: str | None, options) -> list[dict]:
    """Each stage with its plan report, or why it has none yet (an earlier stage not merged)."""
    import os

    from merge_core.multi.run import prepare
    from merge_core.plan_report import make

    found = []
    directory = intermediate_dir if intermediate_dir is not None else "INTERMEDIATE_DIR"
    for run in prepare(text, directory, "OUT"):
        waiting = [n for n in run.stage.needs if not os.path.isdir(os.path.join(directory, n))]
        entry = {"name": run.stage.name, "out": run.out if run.stage.name is not None else None,
                 "needs": run.stage.needs, "plan": None, "why": None}
        if waiting:
            entry["why"] = (f"not planned: it reads {', '.join(repr(n) for n in waiting)}, which "
                            f"{'is' if len(waiting) == 1 else 'are'} not merged yet"
                            + ("" if intermediate_dir is not None else " (no --intermediate-dir given)"))
        else:
            entry["plan"] = make(run.text, options)
        found.append(entry)
    return found


def show_plans(found: list[dict], fmt: str, render_one) -> None:
    import json

    if fmt == "json":
        click.echo(json.dumps({"stages": [{**e, "plan": e["plan"].as_json() if e["plan"] else None} for e in found]},
                              indent=2, default=str))
        return
    for e in found:
        title = f"stage '{e['name']}' -> {e['out']}" if e["name"] is not None else "final merge -> OUT"
        needs = f" (reads {', '.join(e['needs'])})" if e["needs"] else ""
        click.echo(f"== {title}{needs}")
        click.echo(render_one(e["plan"]) if e["plan"] is not None else e["why"])
        for note in e["plan"].notes if e["plan"] is not None else ():
            click.echo(f"mergelint: note: {note}", err=True)
