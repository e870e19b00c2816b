"""Real tiny checkpoints for the model-fact tests, made in the test run.

Models are random Llama/Mistral/Phi-3 networks saved by transformers (safetensors,
single-file and sharded); adapters are made with peft on them. A few folders are
deliberately broken (truncated, lying headers, not-JSON configs) for the bad-input
tests, and a Hugging Face cache is laid out exactly as huggingface_hub lays it out
(blobs, refs, snapshots of symbolic links).

`build(root)` takes a few seconds, most of it importing torch. It returns a manifest
(also written to root/manifest.json) with facts computed by torch itself, which the
tests compare against what mergelint reads from the headers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct

# Small enough to build in milliseconds, shaped like the real thing (GQA, untied head).
LLAMA = dict(
    vocab_size=128,
    hidden_size=32,
    intermediate_size=64,
    num_attention_heads=4,
    num_key_value_heads=2,
    num_hidden_layers=4,
    max_position_embeddings=64,
)
AUTO_MAP = {"AutoConfig": "configuration_custom.CustomConfig", "AutoModelForCausalLM": "modeling_custom.CustomForCausalLM"}
# Code that must never run: it would leave a marker file behind.
MARKER = "code-was-run.marker"
HOSTILE_CODE = "import pathlib\npathlib.Path(__file__).with_name({marker!r}).write_text('ran')\n"


def _edit_json(path: str, **changes) -> None:
    with open(path) as f:
        data = json.load(f)
    data.update(changes)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)


def build(root: str) -> dict:
    import logging
    import warnings

    import torch
    from peft import IA3Config, LoraConfig, get_peft_model
    from transformers import (
        CLIPVisionConfig,
        LlamaConfig,
        LlamaForCausalLM,
        LlavaConfig,
        LlavaForConditionalGeneration,
        Mistral3Config,
        Mistral3ForConditionalGeneration,
        MistralConfig,
        MistralForCausalLM,
        Phi3Config,
        Phi3ForCausalLM,
        PixtralVisionConfig,
    )
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("peft").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    os.makedirs(root, exist_ok=True)
    manifest: dict = {"models": {}}

    def save(name, model, **kw):
        path = os.path.join(root, name)
        model.save_pretrained(path, **kw)
        state = model.state_dict()
        manifest["models"][name] = {
            "parameters": sum(t.numel() for t in state.values()),
            "tensors": {k: list(v.shape) for k, v in state.items()},
        }
        return model

    def llama(name, **changes):
        return save(name, LlamaForCausalLM(LlamaConfig(**{**LLAMA, **changes})))

    base = llama("llama-a")
    sharded = LlamaForCausalLM(LlamaConfig(**LLAMA))
    save("llama-b", sharded, max_shard_size="20KB")
    wide = llama("llama-wide", hidden_size=64, intermediate_size=128)
    llama("llama-2layer", num_hidden_layers=2)
    vocab = llama("llama-vocab", vocab_size=136)
    save("mistral", MistralForCausalLM(MistralConfig(**LLAMA)))
    # A vision-language model: mergekit's modules text_decoder, vision_tower, multi_modal_projector.
    vision = PixtralVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                 image_size=32, patch_size=8, head_dim=8)
    save("mistral3", Mistral3ForConditionalGeneration(Mistral3Config(
        text_config=MistralConfig(**LLAMA), vision_config=vision, image_token_index=10, spatial_merge_size=2)))
    # One whose modules mergekit finds from the tensor names only (no table): two layer stacks.
    clip = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            image_size=32, patch_size=8, projection_dim=32)
    save("llava", LlavaForConditionalGeneration(LlavaConfig(text_config=LlamaConfig(**LLAMA), vision_config=clip,
                                                            image_token_index=10)))
    phi = save(
        "phi3",
        Phi3ForCausalLM(
            Phi3Config(**{**LLAMA, "num_hidden_layers": 2, "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2})
        ),
    )

    # A model whose config maps to its own code, and that code would leave a marker if run.
    llama("llama-remote-code")
    _edit_json(os.path.join(root, "llama-remote-code", "config.json"), auto_map=AUTO_MAP)
    for module in ("configuration_custom.py", "modeling_custom.py"):
        with open(os.path.join(root, "llama-remote-code", module), "w") as f:
            f.write(HOSTILE_CODE.format(marker=MARKER))

    # A 4-bit checkpoint as transformers writes its config (quantizing for real needs a GPU).
    llama("llama-4bit")
    _edit_json(
        os.path.join(root, "llama-4bit", "config.json"),
        quantization_config={"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"},
    )

    # Pickled weights: facts must come without unpickling. The pickle would run code if loaded.
    pickled = os.path.join(root, "llama-pickled")
    os.makedirs(pickled)
    shutil.copy(os.path.join(root, "llama-a", "config.json"), pickled)
    with open(os.path.join(pickled, "pytorch_model.bin"), "wb") as f:
        f.write(_hostile_pickle(os.path.join(pickled, MARKER)))

    # A GGUF file where a model folder is expected.
    with open(os.path.join(root, "model-q4.gguf"), "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))

    def adapter(name, model, declared, config):
        peft_model = get_peft_model(model, config)
        peft_model.peft_config["default"].base_model_name_or_path = declared
        path = os.path.join(root, name)
        peft_model.save_pretrained(path, safe_serialization=name != "lora-pickled")
        peft_model.unload()  # give the base its plain modules back for the next adapter
        return path

    fresh = lambda m: m.__class__(m.config)  # noqa: E731 - same shapes, untouched modules
    lora = dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    adapter("lora-a", fresh(base), "llama-a", LoraConfig(**lora))
    adapter("lora-wide", fresh(wide), "llama-wide", LoraConfig(**lora))
    adapter("lora-b", fresh(sharded), "llama-b", LoraConfig(**lora))
    adapter("dora", fresh(base), "llama-a", LoraConfig(**lora, use_dora=True))
    adapter("ia3", fresh(base), "llama-a", IA3Config(target_modules=["k_proj", "v_proj", "down_proj"], feedforward_modules=["down_proj"]))
    adapter("lora-pickled", fresh(base), "llama-a", LoraConfig(**lora))
    # Built on a Phi-3 (fused qkv_proj), then declared for llama-a: its only target is missing there.
    adapter("lora-phi", fresh(phi), "llama-a", LoraConfig(r=4, lora_alpha=8, target_modules=["qkv_proj"]))
    # Built on the 4-layer llama-a, declared for the 2-layer one: layers 2 and 3 have nowhere to go.
    adapter("lora-deep", fresh(base), "llama-2layer", LoraConfig(**lora))
    # A resized vocabulary saved whole (modules_to_save), declared for llama-a's 128 tokens.
    adapter("lora-vocab", fresh(vocab), "llama-a", LoraConfig(**lora, modules_to_save=["lm_head"]))

    # mergekit-moe bases with a tokenizer: one with BOS/EOS, one with neither (its gate prompts cannot be padded).
    for name, special in (("llama-tok", {"bos_token": "<s>", "eos_token": "</s>"}), ("llama-no-specials", {})):
        shutil.copytree(os.path.join(root, "llama-a"), os.path.join(root, name))
        _tokenizer(os.path.join(root, name), LLAMA["vocab_size"], special)

    _bad_inputs(root)
    manifest["hub"] = _hub_cache(root)
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def _tokenizer(path: str, vocab: int, special: dict) -> None:
    """A word-level tokenizer of `vocab` tokens saved by transformers, with only the `special` tokens given."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = {"<unk>": 0, "<s>": 1, "</s>": 2, **{f"w{i}": i for i in range(3, vocab)}}
    tok = Tokenizer(models.WordLevel(vocab=words, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", **special).save_pretrained(path)


def _hostile_pickle(marker: str) -> bytes:
    """A pickle that creates `marker` when unpickled (it must never be)."""
    import pickle

    class Hostile:
        def __reduce__(self):
            return (open, (marker, "w"))

    return pickle.dumps(Hostile())


def _header(entries: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(entries).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _bad_inputs(root: str) -> None:
    bad = os.path.join(root, "bad")
    a = os.path.join(root, "llama-a")

    def copy(name):
        path = os.path.join(bad, name)
        shutil.copytree(a, path)
        return path

    path = copy("truncated")
    weights = os.path.join(path, "model.safetensors")
    with open(weights, "r+b") as f:
        f.truncate(os.path.getsize(weights) // 2)

    path = copy("terabyte-tensor")
    entry = {"dtype": "F32", "shape": [500_000, 500_000], "data_offsets": [0, 1_000_000_000_000]}
    with open(os.path.join(path, "model.safetensors"), "wb") as f:
        f.write(_header({"model.embed_tokens.weight": entry}, b"\0" * 64))

    path = copy("header-length")
    with open(os.path.join(path, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 2**63) + b"{}")

    path = copy("not-json")
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write('{"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 4,')

    path = copy("fifo")
    os.remove(os.path.join(path, "config.json"))
    os.mkfifo(os.path.join(path, "config.json"))

    path = copy("dir-config")
    os.remove(os.path.join(path, "config.json"))
    os.mkdir(os.path.join(path, "config.json"))

    path = os.path.join(bad, "missing-shard")
    shutil.copytree(os.path.join(root, "llama-b"), path)
    os.remove(os.path.join(path, "model-00002-of-" + _shard_count(path) + ".safetensors"))

    os.makedirs(os.path.join(bad, "empty"))


def _shard_count(folder: str) -> str:
    name = next(n for n in os.listdir(folder) if n.startswith("model-0"))
    return name.rsplit("-", 1)[1].split(".")[0]


# -- a Hugging Face cache, laid out as huggingface_hub lays it out ----------------

def add_to_cache(cache: str, repo_id: str, files: dict[str, str], revision: str = "main", commit: str | None = None) -> str:
    """Put `files` (name in repo -> source file) into `cache` as snapshot `commit` of `revision`."""
    repo = os.path.join(cache, "models--" + repo_id.replace("/", "--"))
    commit = commit or hashlib.sha1(f"{repo_id}@{revision}".encode()).hexdigest()
    os.makedirs(os.path.join(repo, "blobs"), exist_ok=True)
    snapshot = os.path.join(repo, "snapshots", commit)
    os.makedirs(snapshot, exist_ok=True)
    for name, source in files.items():
        with open(source, "rb") as f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        blob = os.path.join(repo, "blobs", digest)
        if not os.path.exists(blob):
            with open(blob, "wb") as f:
                f.write(data)
        link = os.path.join(snapshot, name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.relpath(blob, os.path.dirname(link)), link)
    if revision != commit:
        ref = os.path.join(repo, "refs", revision)
        os.makedirs(os.path.dirname(ref), exist_ok=True)
        with open(ref, "w") as f:
            f.write(commit)
    return commit


def folder_files(folder: str, only=None) -> dict[str, str]:
    return {n: os.path.join(folder, n) for n in sorted(os.listdir(folder)) if only is None or n in only}


def _hub_cache(root: str) -> dict:
    cache = os.path.join(root, "hub")
    commits = {
        "org/llama-a": add_to_cache(cache, "org/llama-a", folder_files(os.path.join(root, "llama-a"))),
        "org/llama-a@v1": add_to_cache(cache, "org/llama-a", folder_files(os.path.join(root, "llama-2layer")), revision="v1"),
        "org/mistral": add_to_cache(cache, "org/mistral", folder_files(os.path.join(root, "mistral"))),
        # Only config.json, as `AutoConfig.from_pretrained` leaves it.
        "org/config-only": add_to_cache(cache, "org/config-only", folder_files(os.path.join(root, "llama-a"), {"config.json"})),
    }
    # An adapter published on the Hub declares its base by repo id.
    lora = os.path.join(root, "hub-lora-src")
    shutil.copytree(os.path.join(root, "lora-b"), lora)
    _edit_json(os.path.join(lora, "adapter_config.json"), base_model_name_or_path="org/llama-b")
    commits["org/lora-b"] = add_to_cache(cache, "org/lora-b", folder_files(lora))
    shutil.rmtree(lora)
    # A cache entry whose files link to themselves.
    repo = os.path.join(cache, "models--org--loop", "snapshots", "0" * 40)
    os.makedirs(repo)
    os.symlink("config.json", os.path.join(repo, "config.json"))
    os.makedirs(os.path.join(cache, "models--org--loop", "refs"))
    with open(os.path.join(cache, "models--org--loop", "refs", "main"), "w") as f:
        f.write("0" * 40)
    # A snapshot folder that is a link to itself, and a ref that holds no commit hash.
    repo = os.path.join(cache, "models--org--loop-snapshot")
    os.makedirs(os.path.join(repo, "snapshots"))
    os.makedirs(os.path.join(repo, "refs"))
    os.symlink("1" * 40, os.path.join(repo, "snapshots", "1" * 40))
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write("1" * 40)
    os.makedirs(os.path.join(cache, "models--org--bad-ref", "refs"))
    with open(os.path.join(cache, "models--org--bad-ref", "refs", "main"), "w") as f:
        f.write("not a commit\n")
    return {"cache": cache, "commits": commits}


if __name__ == "__main__":  # build into a folder, to look at them
    import sys

    print(json.dumps(build(sys.argv[1])["hub"], indent=1))
