"""The words of mergekit-moe 0.1.5's config (`mergekit/moe/config.py`), each written once."""

from __future__ import annotations

from ..method_kit.spec import ParamType

EXPERTS = "experts"
SHARED_EXPERTS = "shared_experts"
GATE_MODE = "gate_mode"
EXPERTS_PER_TOKEN = "experts_per_token"
ARCHITECTURE = "architecture"
# Every top-level key mergekit-moe reads (`MoEMergeConfig`); it ignores any other.
TOP_LEVEL_KEYS = ("base_model", EXPERTS, GATE_MODE, "dtype", EXPERTS_PER_TOKEN, SHARED_EXPERTS, ARCHITECTURE)
# The keys that make a file a mergekit-moe config (base_model and dtype are shared with mergekit-yaml).
MOE_KEYS = (EXPERTS, GATE_MODE, EXPERTS_PER_TOKEN, SHARED_EXPERTS)

SOURCE_MODEL = "source_model"
POSITIVE_PROMPTS = "positive_prompts"
NEGATIVE_PROMPTS = "negative_prompts"
NOISE_SCALE = "noise_scale"
RESIDUAL_SCALE = "residual_scale"
# The keys of one expert (`Expert`), shared experts included.
EXPERT_KEYS = (SOURCE_MODEL, POSITIVE_PROMPTS, NEGATIVE_PROMPTS, NOISE_SCALE, RESIDUAL_SCALE)
# The numbers, and the type pydantic reads each as, in its lax mode ("2" is an int, true is 1).
NUMBERS = {EXPERTS_PER_TOKEN: ParamType.INT}
EXPERT_NUMBERS = {NOISE_SCALE: ParamType.OPTIONAL_FLOAT, RESIDUAL_SCALE: ParamType.OPTIONAL_FLOAT}

# gate_mode values (`moe/router.py`); any other crashes mergekit-moe with a TypeError.
GATE_MODES = ("hidden", "hidden_avg", "hidden_last", "cheap_embed", "random", "uniform_random")
DEFAULT_GATE_MODE = "hidden"
DEFAULT_EXPERTS_PER_TOKEN = 2
# The one gate mode mergekit does not ask prompts for (it does ask them for uniform_random).
PROMPTLESS_GATE_MODE = "random"
# The flag that lets every expert be the same model.
ALLOW_ALL_SAME_FLAG = "--i-understand-this-is-not-useful-without-training"
# What mergekit-moe saves of the config beside the model (--write-model-card).
SAVED_MOE_CONFIG = "mergekit_moe_config.yml"
