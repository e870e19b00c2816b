"""`mergelint run` of mergekit-moe configs against mergekit-moe 0.1.5 itself, on tiny models made here.

Both run in this process from the same seed (mergekit's --random-seed seeds torch's global
generator; mergelint seeds it the same way and draws in mergekit's order), so the random
gates and the expert noise are the same draws.
"""

from __future__ import annotations

import json
import os

import pytest

from conftest import _perturb, compare, load_tensors, make_llama, make_tokenizer

torch = pytest.importorskip("torch")

PROMPTS = {"a": ("_tok_20 _tok_21", None), "b": ("_tok_5 _tok_9 _tok_12", "_tok_30"), "c": ("_tok_40 _tok_41", None),
           "d": ("_tok_7", "_tok_50 _tok_3")}  # (positive, negative) per model


@pytest.fixture(scope="module")
def experts(tmp_path_factory):
    root = tmp_path_factory.mktemp("moe_zoo")
    return {name: make_llama(root / name, seed) for name, seed in (("a", 31), ("b", 32), ("c", 33), ("d", 34))}


def make_qwen3(path, seed: int) -> str:
    from transformers import Qwen3Config, Qwen3ForCausalLM

    cfg = Qwen3Config(vocab_size=64, hidden_size=32, intermediate_size=64, num_attention_heads=4, num_key_value_heads=2,
                      head_dim=8, num_hidden_layers=2, tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(cfg)
    _perturb(model, seed)
    model.save_pretrained(path)
    make_tokenizer(path, 64)
    return str(path)


def moe_config(models: dict, gate_mode: str, names=("b", "c"), *, shared=None, extra: str = "", **expert_keys) -> str:
    lines = [f"base_model: {models['a']}", f"gate_mode: {gate_mode}", extra, "experts:"]
    for name in names:
        positive, negative = PROMPTS[name]
        lines += [f"  - source_model: {models[name]}", f"    positive_prompts: [{positive!r}]"]
        lines += [f"    negative_prompts: [{negative!r}]"] if negative else []
        lines += [f"    {k}: {v}" for k, v in expert_keys.get(name, {}).items()]
    if shared is not None:
        model, prompted = shared
        lines += ["shared_experts:", f"  - source_model: {models[model]}"]
        lines += [f"    positive_prompts: [{PROMPTS[model][0]!r}]"] if prompted else []
    return "\n".join(lines) + "\n"


@pytest.fixture
def run_mergekit_moe(tmp_path, monkeypatch):
    """mergekit-moe's build, in-process, seeded as its --random-seed seeds."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("mergekit")
    import yaml
    from mergekit.merge import MergeOptions
    from mergekit.moe.config import MoEMergeConfig
    from mergekit.scripts.moe import build

    def run(config: str, seed: int | None = 7, name: str = "mk", allow_all_same: bool = False) -> str:
        out = str(tmp_path / name)
        options = MergeOptions(random_seed=seed, quiet=True, copy_tokenizer=True, device="cpu")
        options.apply_global_options()
        build(MoEMergeConfig.model_validate(yaml.safe_load(config)), out, options, device="cpu",
              allow_all_same=allow_all_same)
        return out

    return run


@pytest.fixture
def run_moe(tmp_path):
    from merge_core.moe.build import run_moe
    from merge_core.run import Options

    def run(config: str, seed: int | None = 7, name: str = "ml", **options) -> str:
        out = str(tmp_path / name)
        run_moe(config, out, Options(seed=seed, **options))
        return out

    return run


def _json(folder: str, name: str = "config.json") -> dict:
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        return json.load(f)


def same_model(ours: str, theirs: str, atol: float = 0.0) -> float:
    """config.json and the tokenizer's config equal, every tensor equal within atol; the largest difference."""
    ours_only = {".mergelint-output", "mergekit_moe_config.yml"}  # (mergekit's main() writes the latter)
    assert set(os.listdir(ours)) - ours_only == set(os.listdir(theirs))
    assert _json(ours) == _json(theirs)
    assert _json(ours, "tokenizer_config.json") == _json(theirs, "tokenizer_config.json")
    a, b = compare(ours, theirs, exact=atol == 0.0, atol=atol)
    return max(((a[k].double() - b[k].double()).abs().max().item() for k in a if a[k].numel()), default=0.0)


@pytest.mark.parametrize("gate_mode", ["cheap_embed", "random", "uniform_random"])
def test_mixtral_gates_match_mergekit(experts, run_mergekit_moe, run_moe, gate_mode):
    config = moe_config(experts, gate_mode, ("b", "c", "d"))
    assert same_model(run_moe(config), run_mergekit_moe(config)) == 0.0


@pytest.mark.parametrize(("gate_mode", "dtype"), [("hidden", ""), ("hidden_avg", ""), ("hidden_last", ""),
                                                   ("hidden", "dtype: bfloat16"), ("cheap_embed", "dtype: float16")])
def test_mixtral_hidden_gates_match_mergekit(experts, run_mergekit_moe, run_moe, gate_mode, dtype):
    config = moe_config(experts, gate_mode, ("b", "c"), extra=dtype, b={"noise_scale": 0.1})
    assert same_model(run_moe(config), run_mergekit_moe(config)) == 0.0


def test_noise_and_residual_scale_match_mergekit(experts, run_mergekit_moe, run_moe):
    config = moe_config(experts, "random", ("b", "c"), b={"noise_scale": 0.05, "residual_scale": 0.5},
                        c={"residual_scale": 2.0})
    assert same_model(run_moe(config, seed=3), run_mergekit_moe(config, seed=3)) == 0.0


def test_qwen_moe_with_shared_expert_matches_mergekit(experts, run_mergekit_moe, run_moe):
    config = moe_config(experts, "cheap_embed", ("b", "c"), shared=("a", True), extra="dtype: bfloat16",
                        c={"noise_scale": 0.01})
    assert same_model(run_moe(config), run_mergekit_moe(config)) == 0.0


def test_deepseek_moe_with_promptless_shared_expert_matches_mergekit(experts, run_mergekit_moe, run_moe):
    config = moe_config(experts, "uniform_random", ("b", "c"), shared=("a", False), extra="experts_per_token: 1",
                        c={"noise_scale": 0.02})
    assert same_model(run_moe(config), run_mergekit_moe(config)) == 0.0


@pytest.mark.parametrize("shape", ["mixtral", "qwen_own_shared_model"])
def test_output_loads_and_runs_with_transformers(experts, run_moe, shape):
    """The output is a model transformers builds and runs; the Qwen MoE's shared expert here is a
    model of its own, which mergekit-moe 0.1.5 cannot load (it opens only the base and the experts)."""
    from transformers import AutoModelForCausalLM

    config = (moe_config(experts, "hidden", ("b", "c", "d")) if shape == "mixtral"
              else moe_config(experts, "cheap_embed", ("b", "c"), shared=("d", True)))
    out = run_moe(config, out_shard_size=20_000)  # several shards and their index
    assert os.path.exists(os.path.join(out, "model.safetensors.index.json"))
    model = AutoModelForCausalLM.from_pretrained(out)
    logits = model(torch.tensor([[1, 5, 9, 40]])).logits
    assert logits.shape == (1, 4, 64) and torch.isfinite(logits).all()


def test_cli_runs_moe_and_refuses_as_mergekit(experts, tmp_path):
    from click.testing import CliRunner

    from mergelint.cli import main

    good = tmp_path / "moe.yml"
    good.write_text(moe_config(experts, "random", ("b", "c")))
    same = tmp_path / "same.yml"
    same.write_text(moe_config(experts, "cheap_embed", ("b", "b")).replace(PROMPTS["b"][1], "_tok_31", 1))
    runner = CliRunner()
    done = runner.invoke(main, ["run", str(good), str(tmp_path / "out"), "--random-seed", "1"])
    assert done.exit_code == 0, done.output
    assert "output architecture: Mixtral" in done.output
    assert {"config.json", "model.safetensors", "mergekit_moe_config.yml", "tokenizer.json"} <= set(
        os.listdir(tmp_path / "out"))
    dry = runner.invoke(main, ["run", str(good), str(tmp_path / "dry"), "--dry-run"])
    assert dry.exit_code == 0 and not (tmp_path / "dry").exists(), dry.output
    assert "Mixtral, 2 experts" in dry.output
    written = load_tensors(str(tmp_path / "out"))
    # (the plan is on stdout; the lint's notes, such as the architecture it will build, on stderr)
    listed = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in dry.stdout.splitlines()[1:]}
    assert listed == {n: f"{list(t.shape)} {str(t.dtype)[6:]}" for n, t in written.items()}
    inside_input = runner.invoke(main, ["run", str(good), os.path.join(experts["b"], "out")])
    assert inside_input.exit_code == 2, inside_input.output
    refused = runner.invoke(main, ["run", str(same), str(tmp_path / "out2")])
    assert refused.exit_code == 1 and "All of your expert models are the same" in refused.output
    allowed = runner.invoke(main, ["run", str(same), str(tmp_path / "out2"),
                                   "--i-understand-this-is-not-useful-without-training"])
    assert allowed.exit_code == 0, allowed.output


def test_qwen3_moe_matches_mergekit(tmp_path, run_mergekit_moe, run_moe):
    models = {name: make_qwen3(tmp_path / name, seed) for name, seed in (("a", 41), ("b", 42), ("c", 43))}
    config = moe_config(models, "hidden", ("b", "c"), b={"noise_scale": 0.03, "residual_scale": 0.7})
    ours = run_moe(config)
    assert same_model(ours, run_mergekit_moe(config)) == 0.0
    from transformers import AutoModelForCausalLM

    assert torch.isfinite(AutoModelForCausalLM.from_pretrained(ours)(torch.tensor([[1, 5, 9]])).logits).all()


def test_a_failed_build_leaves_out_as_it_was(experts, tmp_path, run_moe):
    """Infinite noise makes a non-finite model: verification refuses it and OUT is never created."""
    from merge_core.errors import MergeError

    config = moe_config(experts, "random", ("b", "c"), b={"noise_scale": ".inf"})
    with pytest.raises(MergeError, match="not finite"):
        run_moe(config, name="refused")
    assert not [p for p in os.listdir(tmp_path) if "refused" in p]


def test_preflight_refuses_before_the_gates(experts, tmp_path, run_moe):
    from merge_core.preflight import PreflightError

    config = moe_config(experts, "hidden", ("b", "c"))
    with pytest.raises(PreflightError, match="of disk"):
        run_moe(config, name="too_big", max_disk=1000)
    assert not [p for p in os.listdir(tmp_path) if "too_big" in p]
