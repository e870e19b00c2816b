"""A model's layout, read from its own config.json and tensor names (no architecture tables).

- The layer stack is the tensors named `<prefix><i>.<rest>` whose indices run 0..N-1,
  N being the config's layer count (`num_hidden_layers`, `n_layer`, ...).
- Every other tensor is a "pre" weight (input embeddings: the names say `embed`,
  `wte`, `wpe`, `word_embeddings`, ...; a vision tower's patch convolution and the norm
  before its layers) or a "post" weight (final norm, output head).
  Pre weights come from a slice config's first slice, post weights from its last,
  both evaluated at t = 0, as mergekit does.
- A non-layer tensor whose first dimension is the config's vocab size is a
  vocabulary weight (axis 0).
- Further numbered stacks (a vision tower's layers) are kept as their own stacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
VOCAB_KEYS = ("vocab_size", "n_vocab", "padded_vocab_size")
_NUMBERED = re.compile(r"^(.*?\.)(\d+)\.(.+)$")
_EMBED = re.compile(r"(^|[._])(embed|embeddings|embed_tokens|tok_embeddings|wte|wpe|word_embeddings|"
                    r"position_embeddings|token_type_embeddings|embed_in|patch_conv|ln_pre|pre_layrnorm)([._]|$)")


def config_value(config: dict, keys: tuple[str, ...]) -> tuple[str | None, object]:
    """(dotted key, value) of the first key found at the top level or in text_config."""
    for key in keys:
        if isinstance(config.get(key), int) and not isinstance(config.get(key), bool):
            return key, config[key]
    text = config.get("text_config")
    if isinstance(text, dict):
        for key in keys:
            if isinstance(text.get(key), int) and not isinstance(text.get(key), bool):
                return f"text_config.{key}", text[key]
    return None, None


@dataclass
class Stack:
    prefix: str
    count: int
    # per layer index: {rest: tensor name}
    layers: dict[int, dict[str, str]] = field(default_factory=dict)

    def name(self, index: int, rest: str) -> str:
        return f"{self.prefix}{index}.{rest}"


@dataclass
class Layout:
    num_layers: int
    layer_key: str | None
    stack: Stack | None  # the main layer stack
    other_stacks: list[Stack]
    pre: list[str]
    post: list[str]
    vocab_size: int | None
    vocab_key: str | None
    vocab_tensors: set[str]
    architecture: str | None
    tied: bool

    def input_embedding(self, shapes: dict[str, tuple[int, ...]]) -> str | None:
        for name in self.pre:
            if name in self.vocab_tensors and len(shapes.get(name, ())) == 2:
                return name
        return None


def infer_layout(config: dict, shapes: dict[str, tuple[int, ...]]) -> Layout:
    layer_key, num_layers = config_value(config, LAYER_KEYS)
    vocab_key, vocab_size = config_value(config, VOCAB_KEYS)

    stacks: dict[str, Stack] = {}
    loose: list[str] = []
    for name in shapes:
        m = _NUMBERED.match(name)
        if not m:
            loose.append(name)
            continue
        prefix, idx, rest = m.group(1), int(m.group(2)), m.group(3)
        st = stacks.setdefault(prefix, Stack(prefix, 0))
        st.layers.setdefault(idx, {})[rest] = name
    real: list[Stack] = []
    for st in stacks.values():
        indices = sorted(st.layers)
        if indices == list(range(len(indices))) and len(indices) > 0:
            st.count = len(indices)
            real.append(st)
        else:
            loose.extend(n for layer in st.layers.values() for n in layer.values())

    main = None
    if num_layers is not None:
        matching = [s for s in real if s.count == num_layers]
        if matching:
            main = max(matching, key=lambda s: sum(len(v) for v in s.layers.values()))
    if main is None and real:
        main = max(real, key=lambda s: sum(len(v) for v in s.layers.values()))
    others = [s for s in real if s is not main]
    if num_layers is None:
        num_layers = main.count if main else 0

    pre = sorted(n for n in loose if _EMBED.search(n))
    post = sorted(n for n in loose if not _EMBED.search(n))
    vocab_tensors = {
        n for n in loose if vocab_size is not None and shapes[n] and shapes[n][0] == vocab_size
    }
    archs = config.get("architectures")
    arch = archs[0] if isinstance(archs, list) and archs else config.get("model_type")
    tied = config.get("tie_word_embeddings")
    if tied is None and isinstance(config.get("text_config"), dict):
        tied = config["text_config"].get("tie_word_embeddings")
    return Layout(
        num_layers=num_layers,
        layer_key=layer_key,
        stack=main,
        other_stacks=others,
        pre=pre,
        post=post,
        vocab_size=vocab_size,
        vocab_key=vocab_key,
        vocab_tensors=vocab_tensors,
        architecture=arch,
        tied=bool(tied),
    )
