"""## What it does
Compares the vocabulary sizes (rows of the input embedding, else `vocab_size` in
config.json) of the models whose embeddings are merged: every model of a `models:`
merge, and the sources of the first and last slice (mergekit takes the embeddings from
the first slice and the output head from the last). It is quiet when the config sets
`tokenizer_source` or `tokenizer`, which rebuild the embeddings for one vocabulary.
The fix adds `tokenizer_source: base` (`union` without a base model).

## Why is this bad?
Without a tokenizer setting, mergekit 0.1.5 fails merging embeddings of different
sizes (`Tensor size mismatch for model.embed_tokens.weight`), after every model has
been downloaded. Slices whose first and last models differ in vocabulary write a
model whose embeddings and output head disagree.

## Example
```yaml
merge_method: linear
models:
  - model: org/base-32000-tokens
    parameters: {weight: 0.5}
  - model: org/chat-32002-tokens
    parameters: {weight: 0.5}
```

Use instead: add `tokenizer_source: union` (all tokens) or `tokenizer_source: base`.

## Fix safety
This rule's fix is marked as unsafe, as it chooses the output's vocabulary:
`tokenizer_source: base` keeps the base model's tokens and `union` adds every model's,
which changes the embeddings, the output head and the tokenizer written. `mergelint
check --fix` applies it only with `--unsafe-fixes`; the editor offers it as a quick fix
but leaves it out of fix-all.
"""

from merge_core.language import BASE, TOKENIZER, TOKENIZER_SOURCE, UNION

from ..diagnostics import Fix
from ..edits import add_to_mapping, slot
from ..model_facts import part_node
from ..rule import Context, Needs, Rule

RULE = Rule("ML306", "vocab-mismatch", "error", "Merged models have different vocabulary sizes and no tokenizer setting",
            needs=Needs.MODEL_FACTS)


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    root = view.root
    for key in (TOKENIZER_SOURCE, TOKENIZER):
        node = root.get(key)
        if node is not None and node.value:
            return
    reported = set()
    slices: dict[str, list] = {}
    for group in view.groups:
        if group.kind == "slice":
            slices.setdefault(group.label.rsplit("slices[", 1)[0], []).append(group)
    ends = {id(g) for groups in slices.values() for g in (groups[0], groups[-1])}
    for group in view.groups:
        if group.kind == "models" or id(group) in ends:
            _merged(ctx, group, reported)
    for groups in slices.values():
        _head_and_tail(ctx, groups[0], groups[-1], reported)


def _fix(ctx: Context) -> Fix:
    keyword = BASE if ctx.view.base is not None else UNION
    edit = add_to_mapping(ctx.source, ctx.view.root, TOKENIZER_SOURCE, keyword)
    writes = frozenset({slot(ctx.view.root, TOKENIZER_SOURCE)})
    return Fix(f"Add tokenizer_source: {keyword}", (edit,), safe=False, preferred=True, writes=writes, placeholder=True)


def _rows(ctx: Context, inp):
    if inp.ref is None:
        return None
    facts = ctx.facts.model(inp.ref)
    return facts.vocab_rows if facts is not None else None


def _where(ctx: Context, inp):
    node = inp.model_node if inp.model_node is not None else inp.entry
    return part_node(node, inp.ref, "model")


def _merged(ctx: Context, group, reported) -> None:
    sized = [(inp, rows) for inp in group.inputs for rows in [_rows(ctx, inp)] if rows is not None]
    if len(sized) < 2:
        return
    ref = next(((i, r) for i, r in sized if group.is_base(i)), sized[0])
    for inp, rows in sized:
        if rows == ref[1] or (group.label, inp.key) in reported:
            continue
        reported.add((group.label, inp.key))
        ctx.report(
            RULE,
            _where(ctx, inp),
            f"'{inp.key}' has a vocabulary of {rows} tokens, '{ref[0].key}' {ref[1]}: without tokenizer_source or "
            "tokenizer, mergekit fails merging their embeddings (Tensor size mismatch)",
            [_fix(ctx)],
        )


def _head_and_tail(ctx: Context, first, last, reported) -> None:
    if first is last or not first.inputs or not last.inputs:
        return
    head, tail = first.inputs[0], last.inputs[0]
    rows_head, rows_tail = _rows(ctx, head), _rows(ctx, tail)
    if rows_head is None or rows_tail is None or rows_head == rows_tail or (last.label, tail.key) in reported:
        return
    reported.add((last.label, tail.key))
    ctx.report(
        RULE,
        _where(ctx, tail),
        f"the output head comes from '{tail.key}' ({rows_tail} tokens, the last slice) but the input embeddings from "
        f"'{head.key}' ({rows_head} tokens, the first slice): the merged model's vocabulary does not line up",
        [_fix(ctx)],
        severity="warning",
    )
