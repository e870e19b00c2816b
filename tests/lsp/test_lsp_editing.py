"""Completion, hover, document symbols and go-to-definition at the right places."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import TIMEOUT, close_doc, open_doc, published

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _split(marked: str) -> tuple[str, types.Position]:
    """Text with a `|` cursor mark -> (text, position); the cursor line is ASCII up to the mark."""
    before, _, after = marked.partition("|")
    line = before.count("\n")
    return before + after, types.Position(line=line, character=len(before) - (before.rfind("\n") + 1))


async def _complete(client: LanguageClient, uri: str, marked: str) -> list[types.CompletionItem]:
    text, pos = _split(marked)
    open_doc(client, uri, text)
    await published(client, uri, 1)
    result = await asyncio.wait_for(
        client.text_document_completion_async(
            types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=pos)
        ),
        TIMEOUT,
    )
    close_doc(client, uri)
    items = result.items if isinstance(result, types.CompletionList) else result or []
    return list(items)


def labels(items) -> list[str]:
    return [i.label for i in items]


COMPLETIONS = [
    # (cursor text, must be offered, must not be offered)
    ("|\n", ["merge_method", "models", "slices", "base_model", "dtype", "tokenizer_source"], ["weight"]),
    ("merge_method: linear\nmodels:\n  - model: a\n|", ["dtype", "parameters", "base_model"], ["merge_method", "models", "slices"]),
    ("merge_method: |\n", ["linear", "ties", "dare_ties", "slerp", "passthrough"], ["dtype"]),
    ("merge_method: ti|\n", ["ties"], []),
    ("merge_method: ties\nmodels:\n  - model: a\n    |\n", ["parameters"], ["model", "merge_method"]),
    ("merge_method: ties\nmodels:\n  - model: a\n    parameters:\n      |\n", ["weight", "density"], ["normalize", "int8_mask", "t"]),
    ("merge_method: ties\nparameters:\n  |\n", ["normalize", "int8_mask", "weight", "density", "lambda"], ["t"]),
    ("merge_method: slerp\nparameters:\n  |\n", ["t"], ["weight"]),
    ("merge_method: ties\nparameters:\n  normalize: |\n", ["true", "false"], []),
    ("merge_method: ties\nmodels:\n  - model: a\n    parameters: {weight: 1, |}\n", ["density"], ["weight", "normalize"]),
    ("merge_method: passthrough\nslices:\n  - sources:\n      - model: a\n        |\n", ["layer_range", "parameters"], ["model", "sources"]),
    ("merge_method: passthrough\nslices:\n  - |\n", ["sources", "base_model", "parameters"], ["model"]),
    ("dtype: |\nmerge_method: linear\n", ["bfloat16", "float16", "float32"], ["linear"]),
    ("out_dtype: |\nmerge_method: linear\n", ["bfloat16"], []),
    ("chat_template: |\nmerge_method: linear\n", ["auto", "chatml", "llama3"], []),
    ("tokenizer_source: |\nmerge_method: linear\nmodels:\n  - model: org/used\n", ["union", "base", "org/used"], []),
    ("merge_method: linear\ntokenizer:\n  |\n", ["source", "tokens", "pad_to_multiple_of"], []),
    ("merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight:\n        - filter: mlp\n          |\n", ["value"], ["filter"]),
    ("merge_method: linear\nmodules:\n  text:\n    |\n", ["models", "slices", "parameters"], ["merge_method"]),
    ("merge_method: linear\nmodules:\n  |\n", ["text_decoder", "vision_tower", "multi_modal_projector", "default"],
     ["models", "merge_method"]),
    ("merge_method: linear  # |\n", [], ["linear", "ties"]),
]


@pytest.mark.parametrize("case", COMPLETIONS, ids=[c[0].replace("\n", "⏎")[:40] for c in COMPLETIONS])
async def test_completion_knows_the_place(client: LanguageClient, workspace, case):
    marked, wanted, unwanted = case
    items = await _complete(client, (workspace / "complete.yml").as_uri(), marked)
    got = labels(items)
    for name in wanted:
        assert name in got, f"{name!r} missing from {got}"
    for name in unwanted:
        assert name not in got, f"{name!r} offered in {got}"


async def test_completion_of_rule_names_in_a_suppression_comment(client: LanguageClient, workspace):
    from mergelint.rules import RULES, lookup

    uri = (workspace / "suppress-complete.yml").as_uri()
    line = "dtype: bf16  # mergelint: disable=unknown-key, dty"
    items = await _complete(client, uri, f"merge_method: linear\n{line}|\n")
    assert len(items) == len(RULES) + 1 and "dtype-value" in labels(items)
    (dtype,) = [i for i in items if i.label == "dtype-value"]
    assert dtype.detail == "ML006 (error)" and lookup("ML006").url in str(dtype.documentation)
    # the name being written is replaced, the one before the comma is kept
    assert (dtype.text_edit.range.start.character, dtype.text_edit.range.end.character) == (len(line) - 3, len(line))
    assert "dtype-value" not in labels(await _complete(client, uri, "merge_method: linear\ndtype: bf16  # disable=|\n"))


async def test_completion_items_are_plain_text_edits(client: LanguageClient, workspace):
    items = await _complete(client, (workspace / "c.yml").as_uri(), "merge_method: da|\n")
    item = next(i for i in items if i.label == "dare_ties")
    assert item.text_edit.new_text == "dare_ties"
    assert (item.text_edit.range.start.character, item.text_edit.range.end.character) == (14, 16)
    assert "density" in item.documentation.value  # the method's doc, from the registry
    items = await _complete(client, (workspace / "c.yml").as_uri(), "merge_method:|\n")
    assert next(i for i in items if i.label == "linear").text_edit.new_text == " linear"
    items = await _complete(client, (workspace / "c.yml").as_uri(), "merge_method: ties\nparameters:\n  den|\n")
    density = next(i for i in items if i.label == "density")
    assert density.text_edit.new_text == "density: "
    assert "default 1.0" in density.detail


async def test_completion_of_local_model_folders(client: LanguageClient, workspace):
    model = workspace / "models" / "tiny"
    model.mkdir(parents=True, exist_ok=True)
    (model / "config.json").write_text('{"architectures": ["LlamaForCausalLM"]}')
    items = await _complete(client, (workspace / "m.yml").as_uri(), "merge_method: linear\nmodels:\n  - model: |\n")
    assert "models/tiny" in labels(items)
    items = await _complete(client, (workspace / "m.yml").as_uri(), "merge_method: linear\nmodels:\n  - model: ./models/|\n")
    assert "./models/tiny" in labels(items)


async def test_no_completion_in_other_yaml(client: LanguageClient, workspace):
    items = await _complete(client, (workspace / "ci.yml").as_uri(), "on: push\njobs:\n  |\n")
    assert items == []


# --- hover --------------------------------------------------------------------------

CONFIG = """\
merge_method: ties
base_model: models/tiny
parameters:
  normalize: true
models:
  - model: org/other
    parameters:
      weight: 0.5
      density: 0.7
  - model: models/tiny
dtype: bfloat16
"""


async def _hover(client: LanguageClient, uri: str, line: int, character: int) -> str | None:
    result = await asyncio.wait_for(
        client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
            )
        ),
        TIMEOUT,
    )
    return result.contents.value if result is not None else None


async def test_hover(client: LanguageClient, workspace, tiny_model):
    uri = (workspace / "hover.yml").as_uri()
    open_doc(client, uri, CONFIG.replace("models/tiny", str(tiny_model)))
    await published(client, uri, 1)
    method = await _hover(client, uri, 0, 16)
    assert method.startswith("**ties**") and "density" in method and "base_model: required" in method
    density = await _hover(client, uri, 8, 8)
    assert "**density**" in density and "default: 1.0" in density and "sensible range: (0, 1]" in density
    weight_value = await _hover(client, uri, 7, 15)
    assert "**weight**" in weight_value and "per model" in weight_value
    normalize = await _hover(client, uri, 3, 4)
    assert "**normalize**" in normalize and "shared" in normalize
    dtype = await _hover(client, uri, 10, 2)
    assert dtype.startswith("**dtype**")
    model = await _hover(client, uri, 9, 14)
    assert "LlamaForCausalLM" in model and "Layers: 2" in model
    remote = await _hover(client, uri, 5, 14)
    assert "org/other" in remote and "not in the Hugging Face cache" in remote
    assert await _hover(client, uri, 4, 20) is None  # past the end of `models:`
    close_doc(client, uri)


async def test_hover_and_definition_of_model_plus_lora(client: LanguageClient, workspace, tiny_model, tiny_lora):
    uri = (workspace / "lora.yml").as_uri()
    ref = f"{tiny_model}+{tiny_lora}"
    open_doc(client, uri, f"merge_method: passthrough\nmodels:\n  - model: {ref}\n")
    await published(client, uri, 1)
    text = await _hover(client, uri, 2, 14)
    assert "LlamaForCausalLM" in text and "LoRA adapter" in text and "rank 4" in text and "q_proj" in text
    ident = types.TextDocumentIdentifier(uri=uri)

    async def definition(character):
        found = await client.text_document_definition_async(
            types.DefinitionParams(text_document=ident, position=types.Position(line=2, character=character))
        )
        return (found[0] if isinstance(found, list) else found).uri

    assert await definition(13) == (tiny_model / "config.json").as_uri()
    assert await definition(11 + len(ref) - 2) == (tiny_lora / "adapter_config.json").as_uri()
    close_doc(client, uri)


async def test_hover_on_a_suppression_comment_names_its_rules(client: LanguageClient, workspace):
    from mergelint.rules import lookup

    uri = (workspace / "suppressed.yml").as_uri()
    text = "merge_method: linear\ndtype: bf16  # mergelint: disable=ML006, unknown-key,nope\nmodels: []\n"
    open_doc(client, uri, text)
    await published(client, uri, 1)
    shown = await _hover(client, uri, 1, text.splitlines()[1].index("ML006") + 2)
    dtype, key = lookup("ML006"), lookup("unknown-key")
    assert shown.splitlines() == [
        f"- **ML006** `dtype-value` (error): {dtype.summary}. [Documentation]({dtype.url})",
        f"- **ML004** `unknown-key` (warning): {key.summary}. [Documentation]({key.url})",
        "- `nope`: no such rule (`mergelint rules` lists them)",
    ]
    assert shown == await _hover(client, uri, 1, 14)  # anywhere on the comment, its `#` included
    assert (await _hover(client, uri, 1, 8)).startswith("**dtype**")  # the value before it is the value's
    close_doc(client, uri)


async def test_hover_while_the_yaml_is_broken(client: LanguageClient, workspace):
    uri = (workspace / "broken.yml").as_uri()
    open_doc(client, uri, "merge_method: ties\nparameters:\n  density: 0.5\nmodels: [\n")
    await published(client, uri, 1)
    assert "**density**" in await _hover(client, uri, 2, 4)
    assert (await _hover(client, uri, 0, 15)).startswith("**ties**")
    close_doc(client, uri)


# --- symbols and definition ---------------------------------------------------------


async def test_document_symbols(client: LanguageClient, workspace):
    uri = (workspace / "symbols.yml").as_uri()
    open_doc(
        client,
        uri,
        "merge_method: passthrough\nslices:\n  - sources:\n      - model: org/a\n        layer_range: [0, 8]\n"
        "  - sources:\n      - model: org/b\n        layer_range: [4, 12]\ndtype: bfloat16\n",
    )
    await published(client, uri, 1)
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    [root] = result
    assert (root.name, root.detail) == ("mergekit-yaml config", "passthrough")
    names = [s.name for s in root.children]
    assert names == ["merge_method", "slices", "dtype"]
    slices = root.children[1]
    assert [s.name for s in slices.children] == ["slice 0", "slice 1"]
    source = slices.children[1].children[0]
    assert (source.name, source.detail, source.selection_range.start.line) == ("org/b", "layers 4, 12", 6)
    close_doc(client, uri)


async def test_symbols_of_multi_document_yaml(client: LanguageClient, workspace):
    uri = (workspace / "multisym.yml").as_uri()
    open_doc(client, uri, "merge_method: linear\nmodels:\n  - model: a\n---\nmerge_method: slerp\nmodels:\n  - model: b\n")
    await published(client, uri, 1)
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    [root] = result
    assert root.name == "mergekit-multi config"  # a stream of configs is for mergekit-multi: one symbol per stage
    assert [(s.name, s.detail) for s in root.children] == [("final merge", "linear"), ("final merge", "slerp")]
    close_doc(client, uri)


async def test_definition_of_a_local_model(client: LanguageClient, workspace, tiny_model):
    uri = (workspace / "def.yml").as_uri()
    open_doc(client, uri, f"merge_method: linear\nmodels:\n  - model: {tiny_model}\n    parameters: {{weight: 1}}\n  - model: org/remote\n")
    await published(client, uri, 1)

    async def definition(line, character):
        return await client.text_document_definition_async(
            types.DefinitionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)
            )
        )

    found = await definition(2, 14)
    location = found[0] if isinstance(found, list) else found
    assert location.uri == (tiny_model / "config.json").as_uri()
    assert not await definition(4, 14)  # a Hub id that is not at hand
    assert not await definition(0, 2)  # not a reference
    close_doc(client, uri)


# --- other mergekit commands: the same completion and hover, from their schema ---------------

MOE = "base_model: org/base\ngate_mode: random\nexperts:\n  - source_model: org/a\n"
MOE_COMPLETIONS = [
    ("experts:\n  - source_model: org/a\n|\n", ["base_model", "gate_mode", "experts_per_token", "shared_experts",
                                                "architecture", "dtype"], ["merge_method", "models", "experts"]),
    (MOE + "    |\n", ["positive_prompts", "negative_prompts", "noise_scale", "residual_scale"], ["source_model", "model"]),
    ("gate_mode: |\nexperts: []\n", ["hidden", "hidden_avg", "cheap_embed", "random", "uniform_random"], ["linear"]),
    ("architecture: |\nexperts: []\n", ["Mixtral", "DeepSeek MoE", "Qwen MoE", "Qwen3 MoE"], []),
    ("dtype: |\nexperts: []\n", ["bfloat16", "float16"], []),
    (MOE + "  - source_model: |\n", ["org/a", "org/base"], ["random"]),
    (MOE + "shared_experts:\n  - |\n", ["source_model", "positive_prompts"], ["model"]),
]


@pytest.mark.parametrize("case", MOE_COMPLETIONS, ids=[c[0].replace("\n", "⏎")[-40:] for c in MOE_COMPLETIONS])
async def test_completion_in_a_moe_config(client: LanguageClient, workspace, case):
    marked, wanted, unwanted = case
    got = labels(await _complete(client, (workspace / "moe-complete.yml").as_uri(), marked))
    assert set(wanted) <= set(got), got
    assert not set(unwanted) & set(got), got


async def test_gate_mode_completion_says_what_each_mode_does(client: LanguageClient, workspace):
    items = await _complete(client, (workspace / "moe-gate.yml").as_uri(), "gate_mode: |\nexperts: []\n")
    (random,) = [i for i in items if i.label == "random"]
    assert "no prompts needed" in str(random.documentation)


async def test_hover_in_a_moe_config(client: LanguageClient, workspace):
    uri = (workspace / "moe-hover.yml").as_uri()
    open_doc(client, uri, MOE + "    positive_prompts: [code]\n")
    await published(client, uri, 1)
    gate_key = await _hover(client, uri, 1, 3)
    assert gate_key.startswith("**gate_mode**") and "default hidden" in gate_key
    gate_value = await _hover(client, uri, 1, 13)
    assert gate_value.startswith("**random**") and "randn" in gate_value
    prompts = await _hover(client, uri, 4, 8)
    assert prompts.startswith("**positive_prompts**") and "routed to this expert" in prompts
    source = await _hover(client, uri, 3, 20)
    assert "org/a" in source  # a model reference, described as one
    close_doc(client, uri)


EVOLVE = "genome:\n  models: [org/a, org/b]\n  merge_method: ties\n  base_model: org/a\ntasks:\n  - gsm8k\n"
EVOLVE_COMPLETIONS = [
    ("genome:\n  models: [org/a]\n|\n", ["tasks", "limit"], ["merge_method", "experts"]),
    ("genome:\n  models: [org/a]\n  |\ntasks: [t]\n", ["merge_method", "base_model", "layer_granularity", "filters"],
     ["tasks", "experts", "slices"]),
    ("genome:\n  models: [org/a]\n  merge_method: |\ntasks: [t]\n", ["linear", "ties", "dare_ties", "slerp"],
     ["passthrough", "della"]),
]


@pytest.mark.parametrize("case", EVOLVE_COMPLETIONS, ids=[c[0].replace("\n", "⏎")[-40:] for c in EVOLVE_COMPLETIONS])
async def test_completion_in_an_evolve_config(client: LanguageClient, workspace, case):
    marked, wanted, unwanted = case
    got = labels(await _complete(client, (workspace / "evolve-complete.yml").as_uri(), marked))
    assert set(wanted) <= set(got), got
    assert not set(unwanted) & set(got), got


async def test_an_evolve_genome_base_model_completes_as_a_reference(client: LanguageClient, workspace):
    """`base_model` is `null | reference` in the evolve schema (an anyOf): still a reference's place."""
    (workspace / "evolve-base").mkdir(exist_ok=True)
    (workspace / "evolve-base" / "config.json").write_text("{}")
    items = await _complete(client, (workspace / "evolve-ref.yml").as_uri(), "genome:\n  models: [org/a]\n  base_model: |\n")
    (local,) = [i for i in items if i.label == "evolve-base"]
    assert local.kind == types.CompletionItemKind.Folder


async def test_hover_in_an_evolve_config(client: LanguageClient, workspace):
    uri = (workspace / "evolve-hover.yml").as_uri()
    open_doc(client, uri, EVOLVE)
    await published(client, uri, 1)
    models = await _hover(client, uri, 1, 4)
    assert models.startswith("**models**") and "mixes" in models
    method = await _hover(client, uri, 2, 4)
    assert method.startswith("**merge_method**")
    base = await _hover(client, uri, 3, 16)
    assert base is not None and "org/a" in base and not base.startswith("**base_model**")  # a model reference
    listed = await _hover(client, uri, 1, 20)  # an item of the genome's list of references
    assert listed is not None and "org/b" in listed
    tasks = await _hover(client, uri, 4, 1)
    assert tasks is not None and tasks.startswith("**tasks**")
    close_doc(client, uri)
