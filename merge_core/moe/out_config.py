"""config.json of the MoE output, made as mergekit-moe 0.1.5 makes it (`_generate_config` of
`moe/mixtral.py`, `qwen.py`, `qwen3.py`, `deepseek.py`): through transformers' own config classes where
mergekit uses them, so the written keys (save_pretrained's difference from the class defaults)
are the same; DeepSeek's is a plain dict dumped with indent 4, as mergekit writes it.
"""

from __future__ import annotations

import json
import os

from ..language import MODEL_CONFIG
from .architectures import OutputArchitecture
from .config import MoeConfig

DEEPSEEK_AUTO_MAP = {
    "AutoConfig": "deepseek-ai/deepseek-moe-16b-base--configuration_deepseek.DeepseekConfig",
    "AutoModel": "deepseek-ai/deepseek-moe-16b-base--modeling_deepseek.DeepseekModel",
    "AutoModelForCausalLM": "deepseek-ai/deepseek-moe-16b-base--modeling_deepseek.DeepseekForCausalLM",
}


def _mixtral(base, cfg: MoeConfig, architecture: OutputArchitecture):
    import transformers

    if not isinstance(base, transformers.MistralConfig):
        mistral = transformers.MistralConfig(**base.to_dict())
        mistral.sliding_window = None
        mistral.max_position_embeddings = base.max_position_embeddings
        base = mistral
    out = transformers.MixtralConfig(**base.to_dict())
    out.architectures = [architecture.hf_architecture]
    out.num_local_experts = len(cfg.experts)
    out.num_experts_per_tok = cfg.experts_per_token or 2
    out.sliding_window = None
    return out


def _qwen_family(config_class, base, cfg: MoeConfig, architecture: OutputArchitecture):
    """What Qwen MoE and Qwen3 MoE set alike: every layer sparse, each expert as wide as the MLP."""
    out = config_class(**base.to_dict())
    out.architectures = [architecture.hf_architecture]
    out.num_experts = len(cfg.experts)
    out.num_experts_per_tok = cfg.experts_per_token or 2
    out.decoder_sparse_step = 1
    out.norm_topk_prob = True
    out.moe_intermediate_size = out.intermediate_size
    return out


def _qwen(base, cfg: MoeConfig, architecture: OutputArchitecture):
    from transformers.models.qwen2_moe import Qwen2MoeConfig

    out = _qwen_family(Qwen2MoeConfig, base, cfg, architecture)
    out.sliding_window = None
    out.use_sliding_window = False
    out.shared_expert_intermediate_size = out.intermediate_size
    return out


def _qwen3(base, cfg: MoeConfig, architecture: OutputArchitecture):
    from transformers.models.qwen3_moe import Qwen3MoeConfig

    return _qwen_family(Qwen3MoeConfig, base, cfg, architecture)


def _deepseek(base, cfg: MoeConfig, architecture: OutputArchitecture) -> dict:
    shared = len(cfg.shared)
    res = base.to_dict()
    res.update(architectures=[architecture.hf_architecture], model_type=architecture.model_type,
               n_routed_experts=len(cfg.experts), n_shared_experts=shared or None,
               num_experts_per_tok=cfg.experts_per_token or (1 if shared else 2), first_k_dense_replace=0,
               moe_layer_freq=1, scoring_func="softmax", norm_topk_prob=True,
               moe_intermediate_size=res["intermediate_size"], auto_map=DEEPSEEK_AUTO_MAP)
    return res


_CONFIG_MAKERS = {"Mixtral": _mixtral, "Qwen MoE": _qwen, "Qwen3 MoE": _qwen3}


def base_dtype(base_folder: str) -> str | None:
    """The base config's dtype (mergekit's select_dtype fallback), as a torch dtype name."""
    import transformers

    dtype = transformers.AutoConfig.from_pretrained(base_folder).dtype
    return str(dtype).removeprefix("torch.") if dtype is not None else None


def write_config(architecture: OutputArchitecture, base_folder: str, cfg: MoeConfig, out_dtype: str | None,
                 folder: str) -> None:
    import torch
    import transformers

    base = transformers.AutoConfig.from_pretrained(base_folder)
    if architecture.name not in _CONFIG_MAKERS:  # DeepSeek MoE: a dict, as mergekit writes it
        out = _deepseek(base, cfg, architecture)
        if out_dtype is not None:
            out["torch_dtype"] = out_dtype
        with open(os.path.join(folder, MODEL_CONFIG), "w", encoding="utf-8") as f:
            json.dump(out, f, indent=4)
        return
    out = _CONFIG_MAKERS[architecture.name](base, cfg, architecture)
    if out_dtype is not None or architecture.name == "Mixtral":  # Mixtral's is set even when None
        out.dtype = getattr(torch, out_dtype) if out_dtype else None  # mergekit's torch_dtype, by its new name
    out.save_pretrained(folder)
