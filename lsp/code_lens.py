"""The code lens above `merge_method`: the plan's totals, as `mergelint plan` reports them.

Where a model cannot be found the lens says so rather than guess a figure; a config with
errors gets no plan (`mergelint plan` refuses it too).
"""

from __future__ import annotations

from lsprotocol import types

from merge_core.plan_text import size

from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as Timeout

from .analysis import Analysis
from .documents import Tree
from .plans import Outcome, Plans

WAIT = 290  # seconds a lens request waits for its plan (the plan gives up at plans.PLAN_TIMEOUT)


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def title(outcome: Outcome) -> str:
    report = outcome.report
    if report is None:
        return f"plan: {outcome.problem}"
    if "stages" in report:  # a mergekit-multi stream: a plan per stage, where its inputs exist
        planned = sum(1 for s in report["stages"] if s["plan"] is not None)
        return f"plan: {_plural(len(report['stages']), 'stage')}, {planned} planned before any is merged"
    if report["missing_models"]:
        return f"plan: {_plural(len(report['missing_models']), 'model')} not found"
    t = report["totals"]
    return (f"{_plural(len(report['tensors']), 'tensor')} · read {size(t['read_bytes'])} · "
            f"write {size(t['write_bytes'])} · peak {size(t['peak_memory_bytes'])}")


def where(tree: Tree, analysis: Analysis) -> types.Range | None:
    """The `merge_method` key of the (first) document that has one."""
    if tree.source is None:
        return None
    for doc in tree.documents:
        key = doc.root.key_node("merge_method") if doc.root is not None and doc.root.is_map else None
        if key is not None:
            return analysis.index.from_checker(tree.source, key.range)
    return None


def lenses(uri: str, tree: Tree, analysis: Analysis, plans: Plans, base_dir: str | None) -> list[types.CodeLens]:
    at = where(tree, analysis)
    if at is None:
        return []
    errors = sum(1 for f in analysis.findings if f.severity == "error")
    if errors:
        text = f"plan: none while the config has {_plural(errors, 'error')}"
    else:
        try:
            text = title(plans.of(uri, analysis.text, base_dir).result(timeout=WAIT))
        except CancelledError:
            return []  # the document changed before its plan started: the client asks again
        except Timeout:
            text = "plan: still planning"
    # no command to run: the lens is a line of text (VS Code and Neovim show a command's title)
    return [types.CodeLens(range=at, command=types.Command(title=text, command=""))]
