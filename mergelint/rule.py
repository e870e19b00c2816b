"""The rule type, and the context a rule's check reads and reports into."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable

from merge_core.tools import MERGEKIT_YAML_TOOLS, Tool

from .config_view import ConfigView
from .diagnostics import Diagnostic, Edit, Fix
from .document import Node, Range, Source, YamlDocument
from .evolve_view import EvolveView
from .moe_view import MoeView

if TYPE_CHECKING:
    from .model_facts import Facts
    from .stage_index import StageIndex


# A rule's documentation is its section of this page, generated from the rule modules' docstrings
# (`mergelint rules --format markdown`), under a heading that is its code: GitHub's anchor for it
# is the code in lower case, which a rename never changes.
DOCS_PAGE = "docs/rules.md"
DOCS_URL = f"https://github.com/mergelint/mergelint/blob/main/{DOCS_PAGE}"


class Needs(Enum):
    """What a rule's check reads; the checker runs it only where that is there."""

    DOCUMENT = "document"  # the parsed YAML document, whatever it holds (even nothing)
    # A mapping at the top level, read as its tool's config (`ctx.config`: `ctx.view` for mergekit-yaml
    # and mergekit-multi documents, `ctx.moe` for mergekit-moe ones, `ctx.evolve` for mergekit-evolve
    # ones); wrong-tool, which runs first, clears it for a foreign file.
    CONFIG = "config"
    MODEL_FACTS = "model facts"  # the config and the models' own files (`ctx.facts`)


ALL_TOOLS = tuple(Tool)


@dataclass
class Rule:
    """One rule: a stable code and name, a default severity, what it needs and its docs.

    `docs` is the rule module's docstring (what it checks, why it matters, a bad
    and a good example); `check` is filled in by the module with `@RULE.checker`;
    `tools` are the kinds of file it checks (merge_core.tools).
    """

    code: str
    name: str
    severity: str
    summary: str
    docs: str = ""
    aliases: tuple[str, ...] = ()
    needs: Needs = Needs.CONFIG
    tools: tuple[Tool, ...] = MERGEKIT_YAML_TOOLS
    check: Callable[["Context"], None] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Where its documentation is read (`explain` prints it; the editor links each diagnostic to it)."""
        return f"{DOCS_URL}#{self.code.lower()}"

    def checker(self, fn: Callable[["Context"], None]) -> Callable[["Context"], None]:
        self.check = fn
        return fn

    def applies(self, ctx: "Context") -> bool:
        if ctx.tool not in self.tools:
            return False
        if self.needs is Needs.DOCUMENT:
            return True
        return ctx.config is not None and (self.needs is Needs.CONFIG or ctx.facts is not None)


@dataclass
class Context:
    """What a rule sees of one YAML document, and where it reports."""

    source: Source
    document: YamlDocument
    view: ConfigView | None
    schema_errors: list = field(default_factory=list)
    multi_document: bool = False
    tool: Tool = Tool.YAML  # the whole file's (merge_core.tools.tool_of)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Model facts (merge_core.inspect behind a per-check memo); None: no model checks.
    facts: "Facts | None" = None
    stages: "StageIndex | None" = None  # a mergekit-multi stream's stages (every document's)
    moe: MoeView | None = None  # a mergekit-moe document's view (`view` is mergekit-yaml's)
    evolve: EvolveView | None = None  # a mergekit-evolve document's view

    @property
    def config(self) -> ConfigView | MoeView | EvolveView | None:
        """The document read as its tool's config, whichever tool that is; None when it is none."""
        if self.view is not None:
            return self.view
        return self.moe if self.moe is not None else self.evolve

    def report(
        self,
        rule: Rule,
        where: Node | Range,
        message: str,
        fixes: Iterable[Fix] = (),
        severity: str | None = None,
    ) -> Diagnostic:
        rng = where.range if isinstance(where, Node) else where
        if self.source.newline != "\n":  # fixes write "\n"; keep a CRLF file CRLF
            fixes = [_with_newline(fix, self.source.newline) for fix in fixes]
        diag = Diagnostic(
            rule.code,
            rule.name,
            severity or rule.severity,
            message,
            rng,
            list(fixes),
            self.document.index,
        )
        self.diagnostics.append(diag)
        return diag


def _with_newline(fix: Fix, newline: str) -> Fix:
    return replace(fix, edits=tuple(Edit(e.range, e.new_text.replace("\n", newline)) for e in fix.edits))
