"""Which mergekit command a config file is for: mergekit-yaml, -moe, -multi or -evolve.

Recognised from the file's top-level keys, or forced by a `# mergelint: tool=NAME` comment
(the `tool` setting does the same for every file it covers). The checker, the language
server and `run` all ask here, so a file is one kind everywhere.
"""

from __future__ import annotations

import re
from enum import Enum

from .evolve.language import EVOLVE_KEYS
from .language import LAYOUT_KEYS, MERGE_METHOD
from .moe.language import MOE_KEYS
from .multi.language import NAME


class Tool(Enum):
    YAML = "yaml"
    MOE = "moe"
    MULTI = "multi"
    EVOLVE = "evolve"

    @property
    def command(self) -> str:
        return f"mergekit-{self.value}"


# Every document of a mergekit-multi stream is a mergekit-yaml config (plus its `name:`).
MERGEKIT_YAML_TOOLS = (Tool.YAML, Tool.MULTI)
TOOL_NAMES = tuple(t.value for t in Tool)
# `# mergelint: tool=moe` on a line of its own; group 1 is the name as written (maybe wrong).
TOOL_COMMENT = re.compile(r"^[ \t]*#[ \t]*mergelint:[ \t]*tool[ \t]*=[ \t]*([\w.-]*)", re.MULTILINE)


def declared(text: str) -> tuple[str, int] | None:
    """The tool name a `# mergelint: tool=` comment writes, and its offset in `text`."""
    found = TOOL_COMMENT.search(text)
    return (found.group(1), found.start(1)) if found else None


def merges(keys) -> bool:
    """Whether top-level `keys` make a mergekit-yaml merge: a method and what it merges."""
    return MERGE_METHOD in keys and any(k in keys for k in LAYOUT_KEYS)


def recognise(documents: list[list[str]]) -> Tool:
    """The tool of a YAML stream, from each document's top-level keys.

    A stream of several documents, or a config with a `name:`, is for mergekit-multi
    (mergekit-yaml reads exactly one document); a genome is mergekit-evolve's; MoE keys
    without a mergekit-yaml merge beside them are mergekit-moe's.
    """
    if len(documents) > 1 or any(NAME in keys for keys in documents):
        return Tool.MULTI
    keys = documents[0] if documents else []
    if any(k in EVOLVE_KEYS for k in keys):
        return Tool.EVOLVE
    if any(k in MOE_KEYS for k in keys) and not merges(keys):
        return Tool.MOE
    return Tool.YAML


def tool_of(text: str, documents: list[list[str]], setting: str | None = None) -> Tool:
    """The comment's tool, else the setting's, else the one the content shows. A name that is
    not a tool is ignored here (the wrong-tool rule reports the comment)."""
    written = declared(text)
    for name in (written[0] if written else None, setting):
        if name in TOOL_NAMES:
            return Tool(name)
    return recognise(documents)
