"""Facts about one model or adapter folder, read from its small files only.

`read_folder` lists a folder (a local model, or a snapshot in the Hugging Face
cache) and reads config.json, adapter_config.json, the safetensors index and the
safetensors headers. Pickled `.bin` weights are never opened: their facts are
reported as unavailable. The result is cached per folder and reused while every
file in it keeps its size and mtime.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from ..language import ADAPTER_CONFIG, MODEL_CONFIG, SHARD_INDEX, SINGLE_SHARD
from .files import FileProblem, os_problem, read_json, read_safetensors
from .safetensors import HeaderError, TensorInfo, parse_header

EMBEDDING_SUFFIXES = (
    "embed_tokens.weight",
    "wte.weight",
    "word_embeddings.weight",
    "embed_in.weight",
    "tok_embeddings.weight",
)
LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers")
NESTED_CONFIGS = ("text_config", "language_config", "llm_config")
LAYER_INDEX = re.compile(r"(?:^|\.)(?:layers|h|blocks|layer)\.(\d+)\.")
_QUANTIZED_SUFFIXES = (".qweight", ".qzeros", ".absmax", ".quant_map", ".weight_scale", ".SCB", ".g_idx")


@dataclass
class AdapterFacts:
    """A PEFT adapter: adapter_config.json and the names and shapes in its safetensors header."""

    config: dict
    tensors: dict[str, TensorInfo] | None = None
    tensor_file: str | None = None
    # lora_fit results per base (facts are immutable while their files are unchanged)
    fits: dict = field(default_factory=dict, repr=False, compare=False)

    def _get(self, key, default=None):
        return self.config.get(key, default)

    @property
    def base_model(self) -> str | None:
        value = self._get("base_model_name_or_path")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def peft_type(self) -> str:
        value = self._get("peft_type")
        return value.upper() if isinstance(value, str) else "LORA"

    @property
    def rank(self) -> int | None:
        value = self._get("r")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def alpha(self) -> float | None:
        value = self._get("lora_alpha")
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @property
    def use_rslora(self) -> bool:
        return self._get("use_rslora") is True

    @property
    def use_dora(self) -> bool:
        return self._get("use_dora") is True

    @property
    def fan_in_fan_out(self) -> bool:
        return self._get("fan_in_fan_out") is True

    @property
    def scaling(self) -> float | None:
        if self.rank is None or self.alpha is None or self.rank <= 0:
            return None
        return self.alpha / (self.rank**0.5 if self.use_rslora else self.rank)

    @property
    def target_modules(self) -> list[str] | str | None:
        value = self._get("target_modules")
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return None

    @property
    def modules_to_save(self) -> list[str]:
        value = self._get("modules_to_save")
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


@dataclass
class ModelFacts:
    """What the files of one folder say. Every field may be missing; nothing here is guessed from a name.

    Shared through the caches: treat as read-only (derived values are computed once).
    """

    location: str  # as shown to the user: the folder, or repo@revision
    where: str  # "local" | "cache" | "hub"
    directory: str | None = None
    commit: str | None = None
    config: dict | None = None
    adapter: AdapterFacts | None = None
    tensors: dict[str, TensorInfo] | None = None
    weight_format: str | None = None  # "safetensors" | "bin" | "gguf"
    weight_files: tuple[str, ...] = ()
    size_bytes: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file name, what is wrong)

    # -- what kind of folder
    @property
    def has_weights(self) -> bool:
        return bool(self.weight_files)

    @property
    def is_adapter_only(self) -> bool:
        """An adapter folder: adapter_config.json and no model weights of its own."""
        return self.adapter is not None and not self.has_weights

    @property
    def is_model(self) -> bool:
        return self.config is not None or self.has_weights

    # -- config values
    def _configs(self):
        """The config, then its nested text/language configs (multimodal models), with their key prefixes."""
        config = self.config or {}
        yield "", config
        for nested in NESTED_CONFIGS:
            sub = config.get(nested)
            if isinstance(sub, dict):
                yield f"{nested}.", sub

    def _config_value(self, keys) -> tuple[object, str] | tuple[None, None]:
        for prefix, config in self._configs():
            for key in keys:
                value = config.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value, prefix + key
        return None, None

    def _top_level(self, key: str, kind: type):
        """config.json's `key` when it is a `kind`, else None (absent, or written as something else)."""
        value = (self.config or {}).get(key)
        return value if isinstance(value, kind) else None

    @property
    def architectures(self) -> list[str]:
        value = (self.config or {}).get("architectures")
        return [a for a in value if isinstance(a, str)] if isinstance(value, list) else []

    @property
    def model_type(self) -> str | None:
        return self._top_level("model_type", str)

    @property
    def num_layers(self) -> int | None:
        return self.layer_count[0]

    @cached_property
    def layer_count(self) -> tuple[int | None, str | None]:
        """The layer count and where it came from (a config key, or the tensor names)."""
        value, key = self._config_value(LAYER_KEYS)
        if value is not None:
            return value, key
        if self.tensors:
            found = [int(m.group(1)) for name in self.tensors for m in [LAYER_INDEX.search(name)] if m]
            if found:
                return max(found) + 1, "tensor names"
        return None, None

    @property
    def hidden_size(self) -> int | None:
        return self._config_value(("hidden_size", "n_embd", "d_model"))[0]

    @property
    def intermediate_size(self) -> int | None:
        return self._config_value(("intermediate_size", "n_inner", "ffn_dim"))[0]

    @property
    def num_attention_heads(self) -> int | None:
        return self._config_value(("num_attention_heads", "n_head"))[0]

    @property
    def num_key_value_heads(self) -> int | None:
        return self._config_value(("num_key_value_heads",))[0]

    @property
    def config_vocab_size(self) -> int | None:
        return self._config_value(("vocab_size", "padded_vocab_size"))[0]

    @cached_property
    def embedding(self) -> tuple[str, TensorInfo] | None:
        """The input embedding tensor, found by its usual names."""
        for name, info in (self.tensors or {}).items():
            if name.endswith(EMBEDDING_SUFFIXES) and len(info.shape) == 2:
                return name, info
        return None

    @property
    def vocab_rows(self) -> int | None:
        """Rows of the input embedding (what merging compares), else the config's vocab_size."""
        embedding = self.embedding
        return embedding[1].shape[0] if embedding else self.config_vocab_size

    @property
    def tie_word_embeddings(self) -> bool | None:
        return self._top_level("tie_word_embeddings", bool)

    @property
    def auto_map(self) -> dict | None:
        return self._top_level("auto_map", dict) or None

    @cached_property
    def quantization(self) -> str | None:
        """How the checkpoint is quantized, from config.json, the file format or the tensor names."""
        qc = next((c["quantization_config"] for _, c in self._configs() if isinstance(c.get("quantization_config"), dict)), None)
        if isinstance(qc, dict):
            method = qc.get("quant_method")
            if qc.get("load_in_4bit") is True:
                return "bitsandbytes 4-bit in config.json"
            if qc.get("load_in_8bit") is True:
                return "bitsandbytes 8-bit in config.json"
            bits = qc.get("bits") if isinstance(qc.get("bits"), int) else None
            label = method if isinstance(method, str) else "quantization_config"
            return f"{label}{f' {bits}-bit' if bits else ''} in config.json"
        if self.weight_format == "gguf":
            return "GGUF weights"
        for name, info in (self.tensors or {}).items():
            if name.endswith(_QUANTIZED_SUFFIXES):
                return f"quantized tensors such as {name}, {info.dtype}"
        return None

    @cached_property
    def dtype(self) -> str | None:
        if self.tensors:
            weights = Counter()
            for info in self.tensors.values():
                weights[info.dtype] += info.numel
            return weights.most_common(1)[0][0]
        config = self.config or {}
        value = config.get("torch_dtype") or config.get("dtype")
        return value if isinstance(value, str) else None

    @cached_property
    def parameter_count(self) -> int | None:
        return sum(info.numel for info in self.tensors.values()) if self.tensors else None

    @property
    def tensors_unavailable(self) -> str | None:
        """Why there are no tensor facts although the folder has weights, or None."""
        if self.tensors is not None or not self.weight_files:
            return None
        if self.weight_format == "bin":
            return "its weights are pickled .bin files, which mergelint never unpickles"
        if self.weight_format == "gguf":
            return "its weights are GGUF files"
        return "its safetensors headers could not be read"


# -- reading a folder ---------------------------------------------------------

@dataclass
class Remote:
    """What the Hub said about files that are not on disk: sizes and raw safetensors headers."""

    files: dict[str, int | None]
    headers: dict[str, str]


_FOLDERS: dict[str, tuple[tuple, ModelFacts]] = {}


def _listing(directory: str | None) -> tuple[dict[str, tuple[int, int] | str], list[tuple[str, str]]]:
    """name -> (size, mtime_ns) for the files of a folder (symlinks followed), or an error text."""
    entries: dict[str, tuple[int, int] | str] = {}
    problems: list[tuple[str, str]] = []
    if directory is None:
        return entries, problems
    try:
        with os.scandir(directory) as it:
            for entry in it:
                try:
                    st = entry.stat()
                except OSError as e:
                    entries[entry.name] = os_problem(e)
                    continue
                if entry.is_dir():
                    if entry.name.endswith((".json", ".safetensors")):
                        entries[entry.name] = "a directory, not a file"
                    continue
                entries[entry.name] = (st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        pass
    except OSError as e:
        problems.append((".", f"cannot list the folder: {os_problem(e)}"))
    return entries, problems


def read_folder(
    directory: str | None,
    location: str,
    where: str,
    commit: str | None = None,
    remote: Remote | None = None,
    remote_key: object = None,
) -> ModelFacts:
    """Facts of a folder, from the cache while no file in it changed.

    `remote` adds files the Hub listed but that are not on disk; `remote_key`
    identifies that listing's version (its cache file's stat) for the cache.
    """
    entries, listing_problems = _listing(directory)
    signature = (tuple(sorted(entries.items())), tuple(listing_problems), remote_key, location, where, commit)
    key = directory or f"<remote>{location}"
    hit = _FOLDERS.get(key)
    if hit is not None and hit[0] == signature:
        return hit[1]
    facts = _Reader(directory, entries, remote).read(location, where, commit)
    facts.problems[:0] = listing_problems
    if remote is None or remote_key is not None:
        if len(_FOLDERS) > 2048:
            _FOLDERS.clear()
        _FOLDERS[key] = (signature, facts)
    return facts


class _Reader:
    def __init__(self, directory: str | None, entries: dict, remote: Remote | None):
        self.directory = directory
        self.entries = entries
        self.remote = remote
        self.problems: list[tuple[str, str]] = []

    def has(self, name: str) -> bool:
        return name in self.entries or (self.remote is not None and name in self.remote.files)

    def names(self) -> list[str]:
        names = set(self.entries)
        if self.remote is not None:
            names.update(self.remote.files)
        return sorted(names)

    def size(self, name: str) -> int:
        value = self.entries.get(name)
        if isinstance(value, tuple):
            return value[0]
        if self.remote is not None and isinstance(self.remote.files.get(name), int):
            return self.remote.files[name]
        return 0

    def path(self, name: str) -> str | None:
        return os.path.join(self.directory, name) if self.directory and name in self.entries else None

    def json(self, name: str) -> dict | None:
        path = self.path(name)
        if path is None:  # listed by the Hub, not downloaded (the Hub reader downloads every JSON it uses)
            self.problems.append((name, "was not fetched"))
            return None
        try:
            return read_json(path)
        except FileProblem as e:
            self.problems.append((name, e.message))
            return None

    def header(self, name: str) -> dict[str, TensorInfo] | None:
        path = self.path(name)
        try:
            if path is not None:
                return read_safetensors(path)[0]
            raw = self.remote.headers.get(name) if self.remote else None
            if raw is None:
                self.problems.append((name, "missing" if not self.has(name) else "its header was not fetched"))
                return None
            data = raw.encode("utf-8")
            size = self.remote.files.get(name)
            return parse_header(data, size - 8 - len(data) if isinstance(size, int) else None)[0]
        except FileProblem as e:
            self.problems.append((name, e.message))
        except HeaderError as e:
            self.problems.append((name, str(e)))
        return None

    def read(self, location: str, where: str, commit: str | None) -> ModelFacts:
        facts = ModelFacts(location, where, self.directory, commit)
        if self.has(MODEL_CONFIG):
            facts.config = self.json(MODEL_CONFIG)
        if self.has(ADAPTER_CONFIG):
            adapter_config = self.json(ADAPTER_CONFIG)
            if adapter_config is not None:
                facts.adapter = AdapterFacts(adapter_config)
                if self.has("adapter_model.safetensors"):
                    facts.adapter.tensor_file = "adapter_model.safetensors"
                    facts.adapter.tensors = self.header("adapter_model.safetensors")
                elif self.has("adapter_model.bin"):
                    facts.adapter.tensor_file = "adapter_model.bin"
        self._weights(facts)
        facts.problems.extend(self.problems)
        return facts

    def _weights(self, facts: ModelFacts) -> None:
        names = self.names()
        if self.has(SHARD_INDEX):
            index = self.json(SHARD_INDEX)
            weight_map = index.get("weight_map") if isinstance(index, dict) else None
            if index is not None and not (isinstance(weight_map, dict) and all(isinstance(v, str) for v in weight_map.values())):
                self.problems.append((SHARD_INDEX, "has no weight_map of tensor names to file names"))
                weight_map = None
            if weight_map is not None:
                shards = sorted(set(weight_map.values()))
                self._safetensors(facts, shards)
                if facts.tensors is not None:
                    absent = [n for n in weight_map if n not in facts.tensors]
                    if absent:
                        self.problems.append((SHARD_INDEX, f"lists {len(absent)} tensor(s) its shards do not hold, "
                                                           f"e.g. {absent[0]}"))
                return
        if self.has(SINGLE_SHARD):
            self._safetensors(facts, [SINGLE_SHARD])
            return
        others = [n for n in names if n.endswith(".safetensors") and not n.startswith("adapter_model")]
        if others:
            self._safetensors(facts, others)
            return
        bins = [n for n in names if n.startswith("pytorch_model") and n.endswith(".bin")]
        if bins:
            facts.weight_format, facts.weight_files = "bin", tuple(bins)
            facts.size_bytes = sum(self.size(n) for n in bins)
            return
        ggufs = [n for n in names if n.lower().endswith(".gguf")]
        if ggufs:
            facts.weight_format, facts.weight_files = "gguf", tuple(ggufs)
            facts.size_bytes = sum(self.size(n) for n in ggufs)

    def _safetensors(self, facts: ModelFacts, files: list[str]) -> None:
        facts.weight_format, facts.weight_files = "safetensors", tuple(files)
        facts.size_bytes = sum(self.size(n) for n in files)
        tensors: dict[str, TensorInfo] = {}
        complete = True
        for name in files:
            if not self.has(name):
                self.problems.append((name, f"is listed in {SHARD_INDEX} but missing"))
                complete = False
                continue
            part = self.header(name)
            if part is None:
                complete = False
                continue
            tensors.update(part)
        facts.tensors = tensors if complete else None


def file_facts(path: str, location: str) -> ModelFacts:
    """A single weights file given where a folder is expected (a .gguf, usually)."""
    facts = ModelFacts(location, "local")
    if path.lower().endswith(".gguf"):
        facts.weight_format = "gguf"
    elif path.endswith(".safetensors"):
        facts.weight_format = "safetensors"
    elif path.endswith((".bin", ".pt", ".pth")):
        facts.weight_format = "bin"
    facts.weight_files = (os.path.basename(path),)
    try:
        facts.size_bytes = os.stat(path).st_size
    except OSError:
        pass
    return facts

