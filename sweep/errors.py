"""The one error a sweep refuses with before any trial runs."""

from __future__ import annotations


class SweepError(Exception):
    """Unusable sweep input (a bad path, domain, objective or output folder): the message names the
    file and line where one is known; `mergelint sweep` exits 2 with it, before any trial."""


def where(path: str, node, key=None) -> str:
    """`path:line:column` of `key` in a ruamel mapping (or of the node itself), 1-based."""
    try:
        line, col = node.lc.key(key) if key is not None else (node.lc.line, node.lc.col)
    except (AttributeError, KeyError, TypeError):  # a plain value carries no position
        return path
    return f"{path}:{line + 1}:{col + 1}"
