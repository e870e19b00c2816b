"""Real configs written by other people get what their status in SOURCES.md asks for.

The corpus is third-party text and stays outside the repository: it is read from
$MERGELINT_CORPUS (default: the shared folder beside the checkout).

- OK, INFO: no error.
- BROKEN: an error or warning from the rule(s) naming the cause.
- SUSPECT: at least one warning (from the rule naming the cause).
- NOT-MERGEKIT-YAML: wrong-tool, or recognised as another mergekit command's config.
- TEMPLATE: checked without crashing.

Causes that can only be known from model facts (another architecture, an adapter
repository, a quantized checkpoint, a layer count) are listed in NEEDS_FACTS: the
models are Hub repositories that are not at hand here, so nothing is asserted about
them beyond what the YAML alone shows. They are never guessed from names.
"""

import re
from pathlib import Path

import pytest

from checker_support import CORPUS
from merge_core.tools import Tool, tool_of
from mergelint.checker import check_source, read_source, top_level_keys
from mergelint.document import parse


# file prefix -> rules that must report the cause (each with severity error or warning)
EXPECTED = {
    "71cj34__MergekitHelper__config": ["parameter-out-of-range"],
    "Bigdez55__Elson-TB2__docs__ELSON_MODEL_MERGING_STRATEGY.md__yaml-block-1": ["invalid-value"],
    "Bigdez55__Elson-TB2__docs__ELSON_MODEL_MERGING_STRATEGY.md__yaml-block-2": [
        "unknown-key",
        "missing-required-parameter",
        "base-model-required",
    ],
    "Bigdez55__Elson-TB2__docs__ELSON_MODEL_MERGING_STRATEGY.md__yaml-block-3": ["invalid-value", "unknown-parameter"],
    "Bigdez55__Elson-TB2__mergekit_configs__advanced_task_arithmetic": ["unknown-parameter"],
    "Bigdez55__Elson-TB2__mergekit_configs__stage2_dare": ["no-op-merge", "unknown-parameter"],
    "Bigdez55__Elson-TB2__mergekit_configs__stage3_dare": ["no-op-merge", "unknown-parameter"],
    "Sakthivel3130__merge-models__merge": ["unknown-key"],
    "adriansterr__fine-tuning-for-absa__merging_configurations__german__linear__linear_layer_specific__mergekit_config": [
        "misaligned-slices"
    ],
    "arcee-ai__mergekit__issues__214": ["duplicate-model"],
    "arcee-ai__mergekit__issues__284": ["parameter-out-of-range"],
    "arcee-ai__mergekit__issues__348": ["missing-required-parameter"],
    "arcee-ai__mergekit__issues__354__1": ["slice-length-mismatch"],
    "arcee-ai__mergekit__issues__398": ["dtype-value"],
    "arcee-ai__mergekit__issues__470__1": ["unknown-key", "missing-required-parameter", "layer-range"],
    "arcee-ai__mergekit__issues__470__2": ["parameter-out-of-range"],
    "arcee-ai__mergekit__issues__49__2": ["misaligned-slices"],
    "arcee-ai__mergekit__issues__96": ["duplicate-model"],
    "huggingface__transformers__issues__29184__1": ["base-model-required"],
    "ichnixkann__model-merge-tools__merge_config": ["missing-required-parameter", "unknown-parameter"],
    "leeex1__Ace-v4.2-repo__mergekit_config": ["base-model-required", "unknown-key"],
    "leliuga__cohere-configurations__models__LLaMA2-13B-Estopia__README.md__yaml-block-1": ["yaml-syntax"],
    "leliuga__cohere-configurations__models__Nous-Hermes-2-SUS-Chat-34B-Slerp__README.md__yaml-block-1": [
        "unknown-key",
        "missing-required-parameter",
        "base-model-required",
    ],
    "leliuga__cohere-configurations__models__psyonic-cetacean-20B__README.md__yaml-block-1": ["yaml-syntax"],
    "vitus9988__KRX_competition__mergekit_config": ["unknown-parameter"],
    "vfcarida__Athena-reasoning-sandbox__configs__merge_config": ["wrong-tool"],
}

# Causes only model facts can show; the models are Hub repositories not available here.
NEEDS_FACTS = {
    "Bigdez55__Elson-TB2__mergekit_configs__advanced_frankenmerge": "incompatible-models, adapter-as-model",
    "Bigdez55__Elson-TB2__mergekit_configs__advanced_stage2_expanded": "incompatible-models, adapter-as-model",
    "Bigdez55__Elson-TB2__mergekit_configs__stage2_financial": "incompatible-models, adapter-as-model",
    "acebot712__llm_training__configs__merge_config": "layer-range ([0, 31] on a 32-layer model)",
    "arcee-ai__mergekit__issues__482": "quantized-input (bnb-4bit checkpoint)",
    "arcee-ai__mergekit__issues__544": "slices on a multi-module architecture",
    "iamboosted__Zamba2-SLERP-Merge__merge_config": "filter-no-match (Zamba2 tensor names)",
    # gemma models: no mergekit-moe output architecture takes them (Mixtral and DeepSeek MoE llama or
    # mistral, Qwen MoE also qwen2, Qwen3 MoE qwen3); the model types are in the models' config.json.
    "Crystalcareai__BTX__mergekit": "moe-architecture (gemma models)",
}


def _statuses() -> dict[str, str]:
    table = {}
    for sources in CORPUS.glob("*/SOURCES.md"):
        for line in sources.read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 6 and re.search(r"\.ya?ml$", cells[0]):
                table[cells[0]] = cells[5]
            elif len(cells) == 2 and cells[0].endswith(".yml"):
                table[cells[0]] = "OK"  # mergekit's own examples: every one must lint clean
    return table


STATUSES = _statuses() if CORPUS.is_dir() else {}
pytestmark = pytest.mark.skipif(not STATUSES, reason=f"corpus not found at {CORPUS}")


def _key(name: str) -> str:
    return re.sub(r"\.ya?ml$", "", name)


def _path(name: str) -> Path:
    return next(CORPUS.glob(f"*/{name}"))


@pytest.mark.parametrize("name", sorted(STATUSES), ids=_key)
def test_corpus_config(name):
    status = STATUSES[name]
    source = read_source(str(_path(name)))
    diagnostics = check_source(source)
    errors = [d for d in diagnostics if d.severity == "error"]
    reported = {d.rule for d in diagnostics if d.severity in ("error", "warning")}
    expected = EXPECTED.get(_key(name), [])
    assert set(expected) <= reported, f"{status}: expected {expected}, got {sorted(reported)}"
    if status in ("OK", "INFO"):
        assert not errors, [f"{d.range.start.line + 1}: {d.rule} {d.message}" for d in errors]
    elif status == "BROKEN":
        assert expected or _key(name) in NEEDS_FACTS, "every BROKEN config names its cause"
    elif status == "SUSPECT":
        assert expected or _key(name) in NEEDS_FACTS, "every SUSPECT config names its cause"
    elif status == "NOT-MERGEKIT-YAML":
        assert "wrong-tool" in reported or tool_of(source.text, [top_level_keys(d) for d in parse(source)]) is not Tool.YAML
    else:
        assert status == "TEMPLATE", status


def test_every_expectation_names_a_corpus_file():
    keys = {_key(n) for n in STATUSES}
    assert set(EXPECTED) <= keys and set(NEEDS_FACTS) <= keys


def test_statuses_cover_the_whole_corpus():
    files = {p.name for p in CORPUS.glob("*/*") if re.search(r"\.ya?ml$", p.name)}
    assert files == set(STATUSES)


def test_a_real_moe_config_is_checked_as_one():
    """BTX's config is a valid mergekit-moe config from its YAML alone: gate_mode random asks no
    prompts (its empty lists are fine), four experts for two per token, four distinct models."""
    source = read_source(str(_path("Crystalcareai__BTX__mergekit.yaml")))
    assert tool_of(source.text, [top_level_keys(d) for d in parse(source)]) is Tool.MOE
    found = check_source(source)
    assert [d.rule for d in found] == ["model-not-found"] and found[0].severity == "info"
