"""The router weights of every layer, from the gate mode (mergekit 0.1.5 `moe/router.py`).

Returned as one (layers, experts + gated shared experts, hidden) tensor, drawn or computed in
mergekit's order from the global torch generator, so that a seed set as mergekit sets it
(`--random-seed`: torch.manual_seed) gives the same draws here, the expert noise after them
included. transformers is imported here only, and only to tokenize prompts and, for the
`hidden*` modes, to run the base model over them.
"""

from __future__ import annotations

import math

from .config import Expert, MoeConfig
from .language import PROMPTLESS_GATE_MODE

UNIFORM_RANDOM = "uniform_random"
CHEAP_EMBED = "cheap_embed"
EMBED_WEIGHT = "model.embed_tokens.weight"
# The dtype of the router rows before the output cast: the base model runs in bfloat16 for these.
GATE_DTYPES = {"hidden": "bfloat16", "hidden_avg": "bfloat16", "hidden_last": "bfloat16"}


def gated(cfg: MoeConfig) -> tuple[Expert, ...]:
    """The experts that get a router row: the routed ones, then the shared ones when they have prompts
    (or the mode is random: mergekit then draws rows for them too)."""
    random_mode = cfg.gate_mode in (PROMPTLESS_GATE_MODE, UNIFORM_RANDOM)
    if cfg.shared and (cfg.shared[0].positive or random_mode):
        return cfg.experts + cfg.shared
    return cfg.experts


def load_tokenizer(folder: str):
    """The base tokenizer as mergekit-moe prepares it: left padding, BOS (else EOS) as the pad token."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    tokenizer.padding_side = "left"
    tokenizer.pad_token_id = tokenizer.bos_token_id
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _tokenize(prompts: tuple[str, ...], tokenizer):
    return tokenizer([(tokenizer.bos_token or "") + p for p in prompts], return_tensors="pt", padding=True,
                     add_special_tokens=False)


def _cheap_embedding(embed, tokenized, layers: int, vocab: int):
    """The prompts' token embeddings summed over tokens and prompts, normalised, the same for every layer."""
    import torch

    onehot = torch.nn.functional.one_hot(tokenized["input_ids"], num_classes=vocab)
    h = onehot.float() @ embed.float()  # (prompts, tokens, hidden); a matmul, as mergekit, for equal rounding
    summed = (h * tokenized["attention_mask"].unsqueeze(-1)).sum(dim=1).sum(dim=0, keepdim=True)
    return (summed / summed.norm(dim=-1, keepdim=True).clamp(min=1e-8)).repeat(layers, 1)


def _hidden_states(model, tokenized, average: bool):
    """Each layer's input hidden state (the last token's, or the sequence mean), averaged over the prompts."""
    import torch

    with torch.no_grad():
        output = model(**tokenized.to(model.device), output_hidden_states=True, return_dict=True)
    states = torch.stack(output.hidden_states[:-1])  # (layers, prompts, tokens, hidden)
    states = states.sum(dim=2) / states.shape[2] if average else states[:, :, -1, :]
    return states.sum(dim=1) / states.shape[1]


def _base_model(folder: str, device: str):
    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()  # mergelint's own progress is the one shown
    # bfloat16, as mergekit loads it: the router rows carry its rounding
    return transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, device_map=device,
                                                             low_cpu_mem_usage=True)


def gate_vectors(cfg: MoeConfig, base_folder: str, base_config: dict, tokenizer, embed, device: str):
    """(layers, len(gated(cfg)), hidden). `embed` is a callable giving the base's token embeddings."""
    import torch

    layers, hidden, experts = base_config["num_hidden_layers"], base_config["hidden_size"], gated(cfg)
    if cfg.gate_mode == PROMPTLESS_GATE_MODE:
        return torch.randn((layers, len(experts), hidden))
    if cfg.gate_mode == UNIFORM_RANDOM:
        scale = math.sqrt(1.0 / hidden)  # torch.nn.Linear's default initialisation bound
        return torch.rand((layers, len(experts), hidden)) * 2 * scale - scale
    if cfg.gate_mode == CHEAP_EMBED:
        table = embed()
        vectors = lambda t: _cheap_embedding(table, t, layers, base_config["vocab_size"])  # noqa: E731
    else:
        model = _base_model(base_folder, device)
        vectors = lambda t: _hidden_states(model, t, average=cfg.gate_mode == "hidden_avg")  # noqa: E731
    rows = []
    for expert in experts:
        states = vectors(_tokenize(expert.positive, tokenizer))
        if expert.negative:
            states -= vectors(_tokenize(expert.negative, tokenizer))
        states /= states.norm(p=2, dim=-1, keepdim=True).clamp(min=1e-8)
        rows.append(states)
    return torch.stack(rows, dim=0).permute(1, 0, 2)


def degenerate_layers(gates, threshold: float = 5.0) -> list[int]:
    """Layers whose router rows are nearly dependent (mergekit's warn_degenerate_gates test): the
    prompts do not tell those experts apart, and some will be underused."""
    import torch

    return [i for i in range(gates.shape[0]) if torch.linalg.cond(gates[i].float().cpu()) > threshold]
