"""mergekit-moe configs: each verdict agrees with mergekit-moe's own (`is_bad_config`,
`select_output_arch`'s error), and odd shapes never crash the checker."""

from __future__ import annotations

import logging

import pytest
import yaml

from checker_support import check_text, rules_of

# The checks mergekit-moe runs before it loads a model, and the rule that says each.
BAD_CONFIG_RULES = {"moe-experts-per-token", "moe-prompts-missing", "moe-identical-prompts", "moe-identical-experts"}


def _config(gate_mode="hidden", per_token=None, experts=(("a", ["x"]), ("b", ["y"]))) -> str:
    lines = ["base_model: org/base", f"gate_mode: {gate_mode}"]
    if per_token is not None:
        lines.append(f"experts_per_token: {per_token}")
    lines.append("experts:")
    for model, prompts in experts:
        lines.append(f"  - source_model: org/{model}")
        if prompts is not None:
            lines.append(f"    positive_prompts: {prompts!r}")
    return "\n".join(lines) + "\n"


CASES = {
    "good": _config(),
    "good-random-no-prompts": _config("random", experts=(("a", None), ("b", None))),
    "one-expert": _config(experts=(("a", ["x"]),)),
    "zero-per-token": _config(per_token=0),
    "per-token-3": _config(per_token=3),
    "missing-prompts": _config(experts=(("a", ["x"]), ("b", None))),
    "uniform-random-needs-prompts": _config("uniform_random", experts=(("a", None), ("b", None))),
    "empty-prompts": _config("cheap_embed", experts=(("a", []), ("b", ["y"]))),
    "identical-prompts": _config(experts=(("a", ["x"]), ("b", ["x"]))),
    "identical-experts": _config(experts=(("a", ["x"]), ("a", ["y"]))),
    "identical-experts-random": _config("random", experts=(("a", None), ("a", None))),
    "one-expert-per-token-1": _config(per_token=1, experts=(("a", ["x"]),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_verdicts_are_mergekits(name):
    from mergekit.moe.config import MoEMergeConfig, is_bad_config

    text = CASES[name]
    logging.disable(logging.CRITICAL)
    try:
        refused = is_bad_config(MoEMergeConfig.model_validate(yaml.safe_load(text)))
    finally:
        logging.disable(logging.NOTSET)
    found = [d for d in check_text(text) if d.rule in BAD_CONFIG_RULES]
    assert bool(found) == bool(refused), [d.message for d in found]
    assert all(d.severity == "error" for d in found)


def test_the_all_same_flag_is_named():
    (d,) = [d for d in check_text(CASES["identical-experts"]) if d.rule == "moe-identical-experts"]
    assert "--i-understand-this-is-not-useful-without-training" in d.message


def test_uniform_random_message_names_mergekits_quirk():
    found = [d for d in check_text(CASES["uniform-random-needs-prompts"]) if d.rule == "moe-prompts-missing"]
    assert len(found) == 2 and all("uniform_random never uses them" in d.message for d in found)


ARCHITECTURE_CASES = {
    "mixtral-with-shared": ("architecture: mixtral\nshared_experts:\n  - source_model: org/s\n", True),
    "no-such-name": ("architecture: switch\n", True),
    "two-shared": ("shared_experts:\n  - source_model: org/s\n  - source_model: org/t\n", True),
    "deepseek-prompted-shared": ("architecture: deep\nshared_experts:\n  - source_model: org/s\n"
                                 "    positive_prompts: [x]\n", True),
    "qwen-one-shared": ("architecture: Qwen\nshared_experts:\n  - source_model: org/s\n    positive_prompts: [x]\n",
                        False),
    "plain": ("", False),
}


@pytest.mark.parametrize("name", sorted(ARCHITECTURE_CASES))
def test_architecture_verdicts_from_the_yaml_alone_are_mergekits(name):
    """What the YAML alone decides: mergekit-moe's choice over llama models (any type would do for these)."""
    from mergekit.moe import ALL_OUTPUT_ARCHITECTURES
    from mergekit.moe.config import MoEMergeConfig

    extra, refused = ARCHITECTURE_CASES[name]
    text = _config() + extra
    config = MoEMergeConfig.model_validate(yaml.safe_load(text))
    wanted = [a for a in ALL_OUTPUT_ARCHITECTURES
              if not config.architecture or a.name().lower().startswith(config.architecture.lower())]
    # supports_config reads each model's config.json; the structural refusals come first in each.
    structural = {"Mixtral": bool(config.shared_experts),
                  "DeepSeek MoE": len(config.shared_experts or []) > 1 or any(
                      e.positive_prompts or e.negative_prompts for e in config.shared_experts or []),
                  "Qwen MoE": len(config.shared_experts or []) != 1,
                  "Qwen3 MoE": bool(config.shared_experts)}
    assert (not wanted or all(structural[a.name()] for a in wanted)) == refused
    found = [d for d in check_text(text) if d.rule == "moe-architecture"]
    assert bool(found) == refused
    if found and wanted:
        assert all(a.name() in found[0].message for a in wanted)


ODD = [
    "base_model: b\nexperts: {a: org/a}\n",
    "base_model: b\nexperts: org/a\n",
    "base_model: b\nexperts:\n  - org/a\n  - [x]\n",
    "base_model: b\nexperts:\n  - source_model: a\n    positive_prompts: hello\n    negative_prompts: {x: 1}\n",
    "base_model: [b]\nexperts:\n  - source_model: {model: a}\n    positive_prompts: [[x]]\n",
    "base_model: b\ngate_mode: [hidden]\nexperts_per_token: true\narchitecture: 3\nexperts: []\n",
    "base_model: b\nexperts:\nshared_experts: {x: 1}\n",
    "base_model: b\nexperts:\n  - source_model:\n    positive_prompts: [null]\nshared_experts:\n  - 1\n  - {}\n",
    "base_model: b\ngate_mode: random\nexperts_per_token: -1\nexperts:\n  - source_model: a+\n",
    "# mergelint: tool=moe\n",
    "# mergelint: tool=moe\n- 1\n",
    "experts_per_token: 99999999999999999999999\nexperts: [{source_model: a}]\n",
]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_shapes_never_crash(text):
    found = check_text(text)
    assert found and any(d.severity == "error" for d in found)
    assert "internal" not in " ".join(d.message for d in found)


def test_a_mixed_file_is_one_diagnostic():
    text = ("merge_method: linear\nbase_model: org/base\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n"
            "experts:\n  - source_model: org/a\ngate_mode: hiden\nexperts_per_token: 9\n")
    assert rules_of(check_text(text)) == ["wrong-tool"]
    # The other way round (no models: beside experts, so a moe config with a merge_method).
    text = "merge_method: linear\nbase_model: org/base\nexperts:\n  - source_model: org/a\ngate_mode: random\n"
    assert rules_of(check_text(text)) == ["wrong-tool"]


def test_a_tool_comment_says_which_command_the_mixed_file_is_for():
    text = "# mergelint: tool=moe\nmerge_method: linear\nbase_model: org/base\nexperts:\n  - source_model: org/a\n" \
           "  - source_model: org/b\ngate_mode: random\n"
    assert rules_of(check_text(text)) == ["unknown-key"]


@pytest.mark.parametrize("value", ['"2"', "true", "2.0", '" 2 "', "two", "2.5", "[2]"])
def test_numbers_are_read_as_mergekit_moes_pydantic_reads_them(value):
    from mergekit.moe.config import MoEMergeConfig
    from pydantic import ValidationError

    text = _config("random", experts=(("a", None), ("b", None))).replace("experts:", f"experts_per_token: {value}\n"
                                                                          "experts:")
    try:
        MoEMergeConfig.model_validate(yaml.safe_load(text))
        loads = True
    except ValidationError:
        loads = False
    assert ("invalid-value" not in rules_of(check_text(text))) == loads


def test_a_moe_config_in_a_multi_stream_is_one_diagnostic():
    text = ("name: a\nmerge_method: linear\nmodels:\n  - model: org/a\n    parameters: {weight: 1}\n---\n"
            "base_model: a\ngate_mode: random\nexperts:\n  - source_model: org/b\n  - source_model: org/c\n")
    assert rules_of(check_text(text)) == ["wrong-tool"]
