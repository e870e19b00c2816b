"""Did-you-mean: the closest known name to a misspelled one."""

from __future__ import annotations

import difflib
from typing import Iterable


def fold(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    candidates = list(candidates)
    folded = {fold(c): c for c in candidates}
    if fold(word) in folded:
        return folded[fold(word)]
    match = difflib.get_close_matches(fold(word), list(folded), n=1, cutoff=cutoff)
    return folded[match[0]] if match else None
