"""`mergelint verify`: is a model folder (a merge output, any Hugging Face model) sound?

One module per check, each with a CHECK (code, name, severity, summary; its docstring is
the docs) and `run(folder, stats)` yielding Findings. The folder is opened from its headers
and small files (`folder.py`), its tensors are streamed once (`stream.py`; `mergelint run`
measures its results as it merges instead, `stream.Watch`), then every check runs over what
was gathered. Codes are MV0xx for a folder that cannot be read, MV1xx for
the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import compare as compare_mod
from . import files, head, index, layers, nonfinite, outliers, overflow, shapes, unreadable, vocabulary
from .check import Check, Finding
from .folder import open_folder
from .recompute import measure_overflow
from .stream import Stats, Watch, scan

MODULES = (nonfinite, overflow, layers, head, vocabulary, shapes, outliers, index, files)
CHECKS: list[Check] = [unreadable.UNREADABLE_MODEL, unreadable.UNREADABLE_FILE]
for _module in (*MODULES, compare_mod):
    _module.CHECK.docs = (_module.__doc__ or "").strip()
    CHECKS.append(_module.CHECK)
unreadable.UNREADABLE_MODEL.docs = unreadable.UNREADABLE_FILE.docs = (unreadable.__doc__ or "").strip()
FATAL = {unreadable.UNREADABLE_MODEL.code, unreadable.UNREADABLE_FILE.code}


@dataclass
class Report:
    folder: str
    findings: list[Finding] = field(default_factory=list)
    tensors: int = 0
    bytes_read: int = 0

    @property
    def usable(self) -> bool:
        """False when the folder, or one of its files, could not be read (exit code 2)."""
        return not any(f.check.code in FATAL for f in self.findings)


def verify(path: str, on_tensor=None, compare: str | None = None, atol: float = 0.0,
           stats: dict[str, Stats] | None = None, allow_pickle: bool = False) -> Report:
    """Every check over the model folder `path`; with `compare`, its tensors against that folder's too.
    With `stats` (a Watch's, measured while the tensors were merged) the tensors are not read.
    `allow_pickle`: pickled weights are read (see folder.open_folder), in both folders."""
    folder, findings = open_folder(path, allow_pickle)
    report = Report(path, findings)
    if folder is None:
        return report
    try:
        if stats is None:
            stats, report.bytes_read, problems = scan(folder, on_tensor)
            report.findings.extend(problems)
            measure_overflow(folder, stats, allow_pickle)
        report.tensors = len(folder.tensors)
        for module in MODULES:
            report.findings.extend(module.run(folder, stats))
        if compare is not None:
            report.findings.extend(compare_mod.compare(folder, compare, atol, allow_pickle))
    finally:
        folder.close()
    return report


def before_publishing(folder: str, watch: Watch, allow_nonfinite: bool = False) -> Report:
    """`mergelint run`'s checks of its finished output, over what `watch` measured as it merged and the
    folder's small files: NaN or Inf refuses it (MergeError) unless allowed."""
    from ..errors import MergeError

    report = verify(folder, stats=watch.stats)
    bad = [f for f in report.findings if f.check is nonfinite.CHECK]
    if bad and not allow_nonfinite:
        more = f" (and {len(bad) - 1} more tensor(s))" if len(bad) > 1 else ""
        cause = next((f"; {f.message}" for f in report.findings if f.check is overflow.CHECK), "")
        raise MergeError(f"the merged model is not finite: {bad[0].message}{more}{cause}; it was not published "
                         "(--allow-nonfinite publishes it anyway)")
    return report
