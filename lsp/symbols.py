"""Document symbols: the config's outline (method, base, models, slices and their sources, modules).

One root symbol says which mergekit command the file is for ("mergekit-moe config"); under it,
a mergekit-multi stream has a symbol per stage (its name, or "final merge"), a mergekit-moe
config its experts, and a mergekit-evolve config its genome. Several YAML documents in a file
of another kind each get a "document N" symbol of their own.
"""

from __future__ import annotations

from lsprotocol import types

from merge_core.evolve.language import GENOME
from merge_core.moe.language import EXPERTS, POSITIVE_PROMPTS, SHARED_EXPERTS, SOURCE_MODEL
from merge_core.tools import Tool
from mergelint.document import Node, Range, Source
from mergelint.stage_index import Stage

from .documents import Tree
from .positions import LineIndex

K = types.SymbolKind
_MAX_SYMBOLS = 5000


class _Builder:
    def __init__(self, source: Source, index: LineIndex):
        self.source, self.index = source, index
        self.count = 0

    def rng(self, r: Range) -> types.Range:
        return self.index.from_checker(self.source, r)

    def symbol(self, name, kind, whole: Range, selection: Range, detail=None, children=None) -> types.DocumentSymbol | None:
        if self.count >= _MAX_SYMBOLS:
            return None
        self.count += 1
        full, sel = self.rng(whole), self.rng(selection)
        if not (_le(full.start, sel.start) and _le(sel.end, full.end)):
            sel = full  # an alias or merge key points elsewhere: keep the symbol well-formed
        return types.DocumentSymbol(
            name=str(name) or "(empty)",
            kind=kind,
            range=full,
            selection_range=sel,
            detail=detail,
            children=[c for c in (children or []) if c is not None] or None,
        )


def _le(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)


def _span(key: Node, value: Node) -> Range:
    end = value.range.end if value.range.end >= key.range.end else key.range.end
    return Range(key.range.start, end)


def _scalar(node: Node | None) -> str:
    if node is None:
        return ""
    if node.is_scalar:
        return "" if node.value is None else str(node.value)
    if node.is_map:
        inner = node.get("model")
        if inner is not None:
            text = _scalar(inner) if inner.is_scalar else _scalar(inner.get("path")) if inner.is_map else ""
            lora = node.get("lora")
            return f"{text}+{_scalar(lora)}" if lora is not None else text
        path = node.get("path")
        return _scalar(path) if path is not None else ""
    return ""


def _entry(b: _Builder, entry: Node, n: int, kind_name: str) -> types.DocumentSymbol | None:
    if not entry.is_map:
        return b.symbol(_scalar(entry) or f"{kind_name} {n}", K.Module, entry.range, entry.range)
    model = entry.get("model")
    name = _scalar(model) or f"{kind_name} {n}"
    detail = None
    lr = entry.get("layer_range")
    if lr is not None and lr.is_seq:
        detail = "layers " + ", ".join(str(i.value) for i in lr.items)
    params = entry.get("parameters")
    if params is not None and params.is_map and params.pairs:
        shown = ", ".join(f"{k.value}: {_scalar(v) or '…'}" for k, v in params.pairs[:4])
        detail = f"{detail} · {shown}" if detail else shown
    selection = model.range if model is not None else entry.range
    return b.symbol(name, K.Module, entry.range, selection, detail)


def _expert(b: _Builder, expert: Node, n: int) -> types.DocumentSymbol | None:
    """A mergekit-moe expert, named by its source model, with how many prompts route to it."""
    if not expert.is_map:
        return None
    model, prompts = expert.get(SOURCE_MODEL), expert.get(POSITIVE_PROMPTS)
    selection = model.range if model is not None else expert.range
    detail = f"{len(prompts.items)} positive prompts" if prompts is not None and prompts.is_seq else None
    return b.symbol(_scalar(model) or f"expert {n}", K.Module, expert.range, selection, detail)


def _parameters(b: _Builder, params: Node) -> list:
    if not params.is_map:
        return []
    return [b.symbol(k.value, K.Property, _span(k, v), k.range, _scalar(v) or None) for k, v in params.pairs]


def _slice(b: _Builder, slice_: Node, n: int) -> types.DocumentSymbol | None:
    if not slice_.is_map:
        return None
    children = []
    sources = slice_.get("sources")
    if sources is not None and sources.is_seq:
        children = [_entry(b, s, i, "source") for i, s in enumerate(sources.items)]
    details = []
    for key, value in slice_.pairs:
        if key.value == "base_model":
            children.insert(0, b.symbol("base_model", K.Constant, _span(key, value), key.range, _scalar(value)))
        elif key.value == "parameters":
            children.append(b.symbol("parameters", K.Object, _span(key, value), key.range, None, _parameters(b, value)))
    models = [c.name for c in children if c is not None and c.kind == K.Module]
    if models:
        details.append(", ".join(dict.fromkeys(models)))
    return b.symbol(f"slice {n}", K.Namespace, slice_.range, slice_.range, "; ".join(details) or None, children)


def _mapping(b: _Builder, root: Node) -> list:
    out = []
    for key, value in root.pairs:
        name = key.value
        whole = _span(key, value)
        if name == "models" and value.is_seq:
            kids = [_entry(b, e, i, "model") for i, e in enumerate(value.items)]
            out.append(b.symbol("models", K.Array, whole, key.range, f"{len(value.items)} models", kids))
        elif name == "slices" and value.is_seq:
            kids = [_slice(b, s, i) for i, s in enumerate(value.items)]
            out.append(b.symbol("slices", K.Array, whole, key.range, f"{len(value.items)} slices", kids))
        elif name == "modules" and value.is_map:
            kids = [
                b.symbol(k.value, K.Namespace, _span(k, v), k.range, None, _mapping(b, v) if v.is_map else None)
                for k, v in value.pairs
            ]
            out.append(b.symbol("modules", K.Namespace, whole, key.range, None, kids))
        elif name in (EXPERTS, SHARED_EXPERTS) and value.is_seq:
            kids = [_expert(b, e, i) for i, e in enumerate(value.items)]
            out.append(b.symbol(name, K.Array, whole, key.range, f"{len(value.items)} experts", kids))
        elif name == "parameters":
            out.append(b.symbol("parameters", K.Object, whole, key.range, None, _parameters(b, value)))
        elif name == "merge_method":
            out.append(b.symbol("merge_method", K.Function, whole, key.range, _scalar(value) or None))
        elif name == "base_model":
            out.append(b.symbol("base_model", K.Constant, whole, key.range, _scalar(value) or None))
        elif value.is_map:
            out.append(b.symbol(name, K.Object, whole, key.range, None, _mapping(b, value)))
        else:
            out.append(b.symbol(name, K.Property, whole, key.range, _scalar(value) or None))
    return out


def _stage(b: _Builder, stage: Stage) -> types.DocumentSymbol | None:
    """A stage of a mergekit-multi stream: its name (the unnamed one is the final merge) and method."""
    root, name_node = stage.root, stage.name_node
    selection = name_node.range if name_node is not None else root.range
    detail = _scalar(root.get("merge_method")) or None
    return b.symbol(stage.name or "final merge", K.Namespace, root.range, selection, detail, _mapping(b, root))


def _documents(b: _Builder, t: Tree, roots: list) -> list:
    """Under the root symbol: the stages, the one config, or (a stream read as another kind) each document."""
    if t.tool is Tool.MULTI:
        return [_stage(b, stage) for stage in t.stages.stages]
    if len(t.documents) <= 1:
        return _mapping(b, roots[0].root)
    return [
        b.symbol(f"document {doc.index + 1}", K.Namespace, doc.root.range, doc.root.range,
                 _scalar(doc.root.get("merge_method")) or None, _mapping(b, doc.root))
        for doc in roots
    ]


def _kind_detail(t: Tree, root: Node) -> str | None:
    """What the file's kind is made of: its stages, its experts, its (or its genome's) method."""
    if t.tool is Tool.MULTI:
        return f"{len(t.stages.stages)} stages"
    experts = root.get(EXPERTS)
    if t.tool is Tool.MOE and experts is not None and experts.is_seq:
        return f"{len(experts.items)} experts"
    genome = root.get(GENOME)
    method = genome.get("merge_method") if t.tool is Tool.EVOLVE and genome is not None and genome.is_map else root.get("merge_method")
    return _scalar(method) or None


def document_symbols(t: Tree, index: LineIndex) -> list[types.DocumentSymbol]:
    if t.source is None:
        return []
    b = _Builder(t.source, index)
    roots = [d for d in t.documents if d.root is not None and d.root.is_map]
    if not roots:
        return []
    whole = Range(roots[0].root.range.start, roots[-1].root.range.end)
    children = _documents(b, t, roots)
    root = b.symbol(f"{t.tool.command} config", K.File, whole, roots[0].root.range, _kind_detail(t, roots[0].root), children)
    return [root] if root is not None else []


def flatten(symbols: list[types.DocumentSymbol], uri: str) -> list[types.SymbolInformation]:
    """SymbolInformation for clients without hierarchical symbols."""
    out: list[types.SymbolInformation] = []

    def walk(items, container):
        for s in items or []:
            out.append(
                types.SymbolInformation(
                    name=s.name, kind=s.kind, location=types.Location(uri=uri, range=s.range), container_name=container
                )
            )
            walk(s.children, s.name)

    walk(symbols, None)
    return out
