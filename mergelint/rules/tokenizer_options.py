"""## What it does
Checks the tokenizer and chat-template keys: not both `tokenizer_source` and
`tokenizer`; `union` and `base` spelled in lower case (anything else is read as a model
name); no `model:` prefix before a model name (older mergekit's syntax); `chat_template` is `auto`, a built-in name (alpaca, chatml, exaone, llama3,
mistral) or a Jinja template; a `model_token` source gives exactly one of `token_id`
and `token`.

## Why is this bad?
Both tokenizer keys fail at load. `Union` is looked up as a model repository, and so is
`model:org/name`, whole, which fails only after every model has been downloaded. An invalid
chat template aborts a tokenizer rebuild after the merge, and is otherwise logged and
dropped, so the merged model ships without it. A `model_token` source with neither or
both fields silently copies another embedding.

## Example
```yaml
tokenizer_source: Union
chat_template: ChatML
```

Use instead:
```yaml
tokenizer_source: union
chat_template: chatml
```
"""

from merge_core.language import BUILTIN_CHAT_TEMPLATES, CHAT_TEMPLATES, TOKENIZER_SOURCES, is_tokenizer_keyword

from ..diagnostics import Fix
from ..edits import replace_scalar
from ..rule import Context, Rule
from ..suggest import closest

RULE = Rule("ML007", "tokenizer-options", "error", "Tokenizer or chat-template settings mergekit cannot use")


@RULE.checker
def check(ctx: Context) -> None:
    view = ctx.view
    root = view.root
    source, tokenizer = root.get("tokenizer_source"), root.get("tokenizer")
    if source is not None and source.value and tokenizer is not None and tokenizer.value:
        ctx.report(RULE, root.key_node("tokenizer"), "give tokenizer_source or tokenizer, not both: mergekit refuses the config")
    for node in view.tokenizer_settings():
        value = node.value
        if not isinstance(value, str):
            continue
        if value.startswith("model:"):
            _check_model_prefix(ctx, node)
        if value.lower() in TOKENIZER_SOURCES and not is_tokenizer_keyword(value):
            word = value.lower()
            fix = Fix(f"Change to {word}", (replace_scalar(node, word),), preferred=True)
            ctx.report(RULE, node, f"'{value}' is read as a model name; the keyword is '{word}' in lower case", [fix], severity="warning")
    _check_chat_template(ctx, root.get("chat_template"), rebuilds=bool(source is not None and source.value or tokenizer is not None and tokenizer.value))
    if tokenizer is not None and tokenizer.is_map:
        _check_tokens(ctx, tokenizer.get("tokens"))


def _check_model_prefix(ctx: Context, node) -> None:
    # Older mergekit wrote a model as `model:org/name`; 0.1.5 reads the whole text as a
    # path, so the tokenizer build fails after every model has been downloaded.
    name = node.value.removeprefix("model:").strip()
    fixes = [Fix(f"Change to {name}", (replace_scalar(node, name),), preferred=True)] if name else []
    ctx.report(
        RULE,
        node,
        f"mergekit 0.1.5 has no 'model:' prefix: it reads '{node.value}' whole as a model path and fails "
        f"after downloading the models; write the model alone{f' ({name})' if name else ''}",
        fixes,
    )


def _check_chat_template(ctx: Context, node, rebuilds: bool) -> None:
    if node is None or not isinstance(node.value, str):
        return
    value = node.value
    if value in CHAT_TEMPLATES:
        return
    if len(value) >= 20 and "{" in value:
        return  # a literal Jinja template
    suggestion = closest(value, BUILTIN_CHAT_TEMPLATES, cutoff=0.6)
    fixes = [Fix(f"Change to {suggestion}", (replace_scalar(node, suggestion),), preferred=True)] if suggestion else []
    consequence = "the merge aborts" if rebuilds else "mergekit logs it and saves the model without a template"
    hint = f"; did you mean {suggestion}?" if suggestion else f" (built-in: {', '.join(CHAT_TEMPLATES)})"
    ctx.report(
        RULE,
        node,
        f"chat_template '{value}' is neither a built-in name nor a Jinja template: {consequence}{hint}",
        fixes,
        severity="error" if rebuilds else "warning",
    )


def _check_tokens(ctx: Context, tokens) -> None:
    if tokens is None or not tokens.is_map:
        return
    for key, entry in tokens.pairs:
        src = entry.get("source") if entry.is_map else None
        if src is None or not src.is_map or src.get("kind") is None or src.get("kind").value != "model_token":
            continue
        given = [f for f in ("token_id", "token") if src.get(f) is not None]
        if len(given) != 1:
            what = "neither token_id nor token" if not given else "both token_id and token"
            ctx.report(
                RULE,
                src.key_node("kind"),
                f"a model_token source needs exactly one of token_id and token; with {what} mergekit silently "
                f"copies the embedding of '{key.value}' itself instead",
                severity="warning",
            )
