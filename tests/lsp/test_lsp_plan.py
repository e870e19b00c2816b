"""The plan in the editor: inlay hints (value per layer), the plan's code lens, layer_range and model hovers.

Every figure is compared with `mergelint plan --format json` on the same config and models
(two real 8-layer tiny Llamas saved by transformers), run as the user runs it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_support import TIMEOUT, change_doc, cli_plan, close_doc, lens_title, make_client, open_doc, published, start

pytestmark = pytest.mark.asyncio(loop_scope="module")

SLERP = """merge_method: slerp
base_model: {a}
models:
  - model: {a}
  - model: {b}
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - filter: self_attn.q_proj
      value: 0.2
    - value: 0.5
dtype: float32
"""

LINEAR_SLICES = """merge_method: linear
slices:
  - sources:
      - model: {a}
        layer_range: [0, 4]
        parameters:
          weight: [1, 0]
      - model: {b}
        layer_range: [4, 8]
        parameters:
          weight: 0.5
  - sources:
      - model: {a}
        layer_range: [2, 8]
      - model: {b}
        layer_range: [2, 8]
parameters:
  weight: [0.2, 0.8]
dtype: float32
"""


async def hints(client: LanguageClient, uri: str) -> list[types.InlayHint]:
    everything = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=999, character=0))
    params = types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=uri), range=everything)
    return await asyncio.wait_for(client.text_document_inlay_hint_async(params), TIMEOUT) or []


def per_layer(hint: types.InlayHint) -> dict[int, float]:
    rows = [line for line in hint.tooltip.splitlines() if line.startswith("layer ")]
    return {int(k.split()[1]): float(v) for k, v in (row.split(":") for row in rows)}


def plan_values(report, tensor_part: str, read) -> dict[int, float]:
    """Per output layer, the value `read(tensor)` of its first tensor whose name holds tensor_part."""
    found = {}
    for t in report["tensors"]:
        if t["layer"] is not None and tensor_part in t["name"] and t["layer"] not in found:
            found[t["layer"]] = read(t)
    return found


@pytest.fixture
def pair_config(workspace, llama_pair):
    def write(template: str, name: str):
        path = workspace / name
        path.write_text(template.format(a=llama_pair[0], b=llama_pair[1]))
        return path
    return write


async def opened(client: LanguageClient, pair_config, template: str, name: str):
    """The config written and opened, once checked: its path, URI and diagnostics."""
    path = pair_config(template, name)
    open_doc(client, path.as_uri(), path.read_text())
    return path, path.as_uri(), await published(client, path.as_uri(), 1)


async def test_inlay_hints_are_the_plans_values_per_layer(client: LanguageClient, workspace, pair_config):
    path, uri, diagnostics = await opened(client, pair_config, SLERP, "slerp-hints.yml")
    assert [d for d in diagnostics if d.severity == types.DiagnosticSeverity.Error] == []
    found = sorted(await hints(client, uri), key=lambda h: h.position.line)
    assert [h.position.line for h in found] == [8, 10, 12]  # the three filtered values (the default has no filter)
    assert found[0].position.character == len("      value: [0, 0.5, 0.3, 0.7, 1]")
    assert found[0].label == "L0 0 · L2 0.471 · L4 0.414 · L5 0.643 · L7 1"
    assert found[2].label.startswith("(unused)") and "self_attn" in found[2].tooltip

    report = cli_plan(path, workspace)
    shared_t = lambda t: t["parameters"]["t"]  # noqa: E731
    assert per_layer(found[0]) == pytest.approx(plan_values(report, "self_attn.k_proj", shared_t), abs=1e-5)
    assert per_layer(found[1]) == pytest.approx(plan_values(report, "mlp.up_proj", shared_t), abs=1e-5)
    assert len(per_layer(found[0])) == 8
    close_doc(client, uri)


async def test_inlay_hints_follow_slices_and_per_model_settings(client: LanguageClient, workspace, pair_config):
    path, uri, _ = await opened(client, pair_config, LINEAR_SLICES, "slices-hints.yml")
    found = {h.position.line: h for h in await hints(client, uri)}
    assert sorted(found) == [6, 17]
    report = cli_plan(path, workspace)
    first_model = report["tensors"][0]["sources"][0]["model"]
    weight_of_a = plan_values(report, "self_attn.q_proj", lambda t: t["model_parameters"][first_model]["weight"])
    assert per_layer(found[6]) == pytest.approx({k: v for k, v in weight_of_a.items() if k < 4}, abs=1e-5)
    # the top-level gradient: the second slice's layers only (the first slice sets weight per model)
    other = report["tensors"][0]["sources"][1]["model"]
    weight_of_b = plan_values(report, "self_attn.q_proj", lambda t: t["model_parameters"][other]["weight"])
    top = per_layer(found[17])
    assert sorted(top) == list(range(10))
    assert {k: top[k] for k in range(4, 10)} == pytest.approx({k: weight_of_b[k] for k in range(4, 10)}, abs=1e-5)
    close_doc(client, uri)


async def test_no_inlay_hints_where_the_layer_count_is_unknown(client: LanguageClient, workspace):
    uri = (workspace / "unknown-hints.yml").as_uri()
    open_doc(client, uri, "merge_method: linear\nmodels:\n  - model: ./nowhere/a\n    parameters: {weight: [0, 1]}\n"
                          "  - model: ./nowhere/b\n    parameters: {weight: 1}\n")
    await published(client, uri, 1)
    assert await hints(client, uri) == []
    close_doc(client, uri)


async def code_lenses(client: LanguageClient, uri: str) -> list[types.CodeLens]:
    params = types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    return await asyncio.wait_for(client.text_document_code_lens_async(params), 120) or []


async def test_code_lens_has_the_figures_of_mergelint_plan(client: LanguageClient, workspace, pair_config):
    path, uri, _ = await opened(client, pair_config, SLERP, "slerp-lens.yml")
    lens = await code_lenses(client, uri)
    assert [item.command.title for item in lens] == [lens_title(cli_plan(path, workspace))]
    assert lens[0].range.start.line == 0 and lens[0].range.end.character == len("merge_method")
    close_doc(client, uri)


async def test_code_lens_says_which_models_are_missing(client: LanguageClient, workspace, llama_pair):
    uri = (workspace / "missing-lens.yml").as_uri()
    text = (f"models:\n  - model: {llama_pair[0]}\n  - model: ./nowhere/b\n  - model: ./nowhere/c\n"
            "merge_method: linear\nparameters: {weight: 1}\n")
    open_doc(client, uri, text)
    await published(client, uri, 1)
    lens = await code_lenses(client, uri)
    assert [(item.range.start.line, item.command.title) for item in lens] == [(4, "plan: 2 models not found")]
    close_doc(client, uri)


async def test_code_lens_of_a_config_with_errors(client: LanguageClient, workspace):
    uri = (workspace / "broken-lens.yml").as_uri()
    open_doc(client, uri, "merge_method: slerp\nmodels:\n  - model: ./nowhere/a\n")
    diagnostics = await published(client, uri, 1)
    errors = [d for d in diagnostics if d.severity == types.DiagnosticSeverity.Error]
    assert errors
    lens = await code_lenses(client, uri)
    assert [item.command.title for item in lens] == [f"plan: none while the config has {len(errors)} error"
                                                     + ("s" if len(errors) != 1 else "")]
    close_doc(client, uri)


async def test_diagnostics_do_not_wait_for_the_plan(client: LanguageClient, workspace, pair_config):
    path, uri, _ = await opened(client, pair_config, LINEAR_SLICES, "busy-lens.yml")
    arrived = []
    lens = asyncio.ensure_future(code_lenses(client, uri))
    lens.add_done_callback(lambda _: arrived.append("lens"))
    version = change_doc(client, uri, path.read_text().replace("weight: 0.5", "weight: 0.25"))
    await published(client, uri, version)
    arrived.append("diagnostics")
    await lens
    assert arrived == ["diagnostics", "lens"]  # the plan runs in a child process: seconds, a check milliseconds
    close_doc(client, uri)


# The server with every attempt to import a heavy package written to a file (tests/test_light_imports.py's probe).
_IMPORTS = os.path.join(tempfile.mkdtemp(prefix="mergelint-imports-"), "attempts")
_WATCHED_SERVER = r"""
import os, sys
HEAVY = ("torch", "transformers", "peft")
class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HEAVY:
            with open(os.environ["MERGELINT_TEST_IMPORTS"], "a") as f:
                f.write(name + "\n")
        return None
sys.meta_path.insert(0, Watch())
from mergelint.cli import main
main(["lsp"])
"""


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-c", _WATCHED_SERVER], client_factory=make_client,
    server_env={**os.environ, "HF_HUB_OFFLINE": "1", "MERGELINT_TEST_IMPORTS": _IMPORTS}))
async def watched(lsp_client: LanguageClient, workspace):
    await start(lsp_client, "visual-studio-code", workspace)
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_the_server_imports_no_heavy_package_for_the_plan(watched: LanguageClient, workspace, pair_config):
    _, uri, _ = await opened(watched, pair_config, SLERP, "watched.yml")
    assert len(await hints(watched, uri)) == 3
    assert "tensors · read" in (await code_lenses(watched, uri))[0].command.title
    assert not os.path.exists(_IMPORTS) or open(_IMPORTS).read() == ""


async def hover_text(client: LanguageClient, uri: str, line: int, character: int) -> str:
    params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri),
                               position=types.Position(line=line, character=character))
    found = await asyncio.wait_for(client.text_document_hover_async(params), TIMEOUT)
    return found.contents.value if found is not None else ""


async def test_hover_on_layer_range_names_the_output_layers(client: LanguageClient, workspace, pair_config, llama_pair):
    path, uri, _ = await opened(client, pair_config, LINEAR_SLICES, "slices-hover.yml")
    report = cli_plan(path, workspace)
    # the plan takes output layer 4 from layer 2 of the second slice's sources, and layer 0 from b's layer 4
    layer = {t["layer"]: t["sources"] for t in report["tensors"] if t["name"].endswith("input_layernorm.weight")}
    assert layer[4][0]["tensor"].startswith("model.layers.2.") and layer[0][1]["tensor"].startswith("model.layers.4.")
    assert "output layers 4-9 of 10, from `" + str(llama_pair[0]) + "` layers 2-7" in await hover_text(client, uri, 13, 23)
    key = await hover_text(client, uri, 8, 10)
    assert key.startswith("**layer_range**") and "output layers 0-3 of 10, from `" + str(llama_pair[1]) + "` layers 4-7" in key
    close_doc(client, uri)


async def test_hover_on_a_model_adds_the_bytes_it_gives_the_merge(client: LanguageClient, workspace, pair_config, llama_pair):
    from merge_core.plan_text import size

    path, uri, _ = await opened(client, pair_config, LINEAR_SLICES, "bytes-hover.yml")
    assert "In this merge" not in await hover_text(client, uri, 3, 16)  # no plan made yet: hover does not wait
    await code_lenses(client, uri)
    report = cli_plan(path, workspace)
    by_model = report["read_bytes_by_model"]
    assert sum(by_model.values()) == report["totals"]["read_bytes"]
    text = await hover_text(client, uri, 3, 16)
    a = by_model[str(llama_pair[0])]
    assert "LlamaForCausalLM" in text  # the facts hover showed before
    assert (f"**In this merge:** {size(a)} read from it, {a / report['totals']['read_bytes']:.0%} of the "
            f"{size(report['totals']['read_bytes'])} the merge reads") in text
    close_doc(client, uri)


async def test_the_lens_of_a_mergekit_multi_stream_counts_its_stages():  # (the module's tests are async)
    from lsp.code_lens import title
    from lsp.plans import Outcome

    report = {"stages": [{"name": "blend", "plan": {"tensors": []}}, {"name": None, "plan": None}]}
    assert title(Outcome(report)) == "plan: 2 stages, 1 planned before any is merged"
