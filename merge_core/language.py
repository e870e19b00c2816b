"""The words of the mergekit config language (mergekit-yaml 0.1.5), each written once.

The schema, the engine, the checker's rules, completion and hover read them here; merge
methods and their parameters live in `methods/`, module names in `modules.py`. Paths
name a mapping by its keys, with LIST for "an item of this list"; `modules.<name>`
holds what the top level holds (see `owner_path`). Nothing here imports torch.
"""

from __future__ import annotations

import re

from .evolve.language import GENOME
from .moe.language import EXPERTS

LIST = "[]"

# --- top-level keys -------------------------------------------------------------------

MERGE_METHOD = "merge_method"
BASE_MODEL = "base_model"
TOKENIZER_SOURCE = "tokenizer_source"
TOKENIZER = "tokenizer"
CHAT_TEMPLATE = "chat_template"
DTYPE_KEYS = ("dtype", "out_dtype")
# The ways of listing what is merged; a config has exactly one of them.
LAYOUT_KEYS = ("models", "slices", "modules")
TOP_LEVEL_KEYS = (MERGE_METHOD, BASE_MODEL, *LAYOUT_KEYS, "parameters", *DTYPE_KEYS, TOKENIZER_SOURCE, TOKENIZER,
                  CHAT_TEMPLATE)
# Keys of one mapping of which at most one may be written.
EXCLUSIVE_KEYS = (LAYOUT_KEYS, (TOKENIZER_SOURCE, TOKENIZER))
# Top-level keys that hold one value, not models: written under `parameters:` they are ignored.
SETTING_KEYS = tuple(k for k in TOP_LEVEL_KEYS if k not in (*LAYOUT_KEYS, "parameters"))

# A top-level key that only mergekit's configs have: mergekit-yaml's (and so mergekit-multi's),
# mergekit-moe's `experts` and mergekit-evolve's `genome`.
_SIGNATURE = re.compile(rb"^(" + "|".join((MERGE_METHOD, "slices", EXPERTS, GENOME)).encode() + rb")\s*:", re.MULTILINE)
HEAD = 1 << 20  # how much of a file is looked at


def looks_like_merge_config(head: bytes | str) -> bool:
    """Whether the start of a file (its bytes, or an editor's text) has a signature key at column 0."""
    if isinstance(head, str):
        head = head[:HEAD].encode("utf-8", "surrogatepass")
    return _SIGNATURE.search(head[:HEAD]) is not None


# --- values ---------------------------------------------------------------------------

# The dtypes mergekit's dtype_from_name accepts, also written `torch.<name>`.
DTYPES = ("bfloat16", "float16", "float32", "float64", "int64")
DTYPE_NAMES = DTYPES + tuple(f"torch.{d}" for d in DTYPES)
# Those a merge can compute in and save (int64 is accepted by the parser, not by the math).
FLOAT_DTYPES = tuple(d for d in DTYPES if d.startswith(("float", "bfloat")))

# tokenizer_source / tokenizer.source keywords; any other value is a model reference.
UNION, BASE = "union", "base"
TOKENIZER_SOURCES = (UNION, BASE)


def is_tokenizer_keyword(value) -> bool:
    return isinstance(value, str) and value in TOKENIZER_SOURCES


# chat_template: `auto` (the base's own), a built-in name, or the text of a Jinja template.
CHAT_TEMPLATE_AUTO = "auto"
BUILTIN_CHAT_TEMPLATES = ("alpaca", "chatml", "exaone", "llama3", "mistral")
CHAT_TEMPLATES = (CHAT_TEMPLATE_AUTO, *BUILTIN_CHAT_TEMPLATES)

# --- where things are written ---------------------------------------------------------

PARAMETERS = "parameters"
# Mappings that may hold `parameters:`: the top level, model entries, slices, sources.
PARAMETER_OWNERS = ((), ("models", LIST), ("slices", LIST), ("slices", LIST, "sources", LIST))
# Those whose `parameters:` belong to one model.
PER_MODEL_OWNERS = (("models", LIST), ("sources", LIST))

# Keys whose value is a model reference, in any mapping but a `parameters:` one.
REFERENCE_KEYS = ("model", BASE_MODEL)
# A reference's dict form: the parts, each a path or {path, revision}.
REFERENCE_PARTS = ("model", "lora")
REFERENCE_PATH = "path"
# (mapping path, key) of the tokenizer settings whose value is a keyword or a model reference.
TOKENIZER_SOURCE_AT = (((), TOKENIZER_SOURCE), ((TOKENIZER,), "source"))


def owner_path(path) -> tuple:
    """`path` with list indices as LIST and a leading `modules.<name>` dropped."""
    shape = tuple(LIST if isinstance(step, int) else step for step in path)
    return shape[2:] if shape[:1] == ("modules",) and len(shape) >= 2 else shape


def owns_parameters(path) -> bool:
    """Whether the mapping at `path` may hold `parameters:`."""
    return owner_path(path) in PARAMETER_OWNERS


def is_per_model(parameters_path) -> bool:
    """Whether the `parameters:` mapping at `parameters_path` belongs to one model (a model entry or a source)."""
    return tuple(owner_path(parameters_path)[-3:-1]) in PER_MODEL_OWNERS


def holds_reference(path, key) -> bool:
    """Whether the value of `key` in the mapping at `path` is a model reference (or one part's path)."""
    path = tuple(path)
    if path and path[-1] == PARAMETERS:
        return False
    if key in REFERENCE_KEYS or key in REFERENCE_PARTS:
        return True
    if (path, key) in TOKENIZER_SOURCE_AT:
        return True
    return key == REFERENCE_PATH and bool(path) and path[-1] in REFERENCE_PARTS


# Keys whose value is a whole reference: a string, or the {model, lora} form.
WHOLE_REFERENCE_KEYS = (*REFERENCE_KEYS, *(key for _, key in TOKENIZER_SOURCE_AT))
# Every key a reference or one of its parts is written under, for a reader of lines rather than trees.
REFERENCE_WORDS = tuple(dict.fromkeys((*WHOLE_REFERENCE_KEYS, *REFERENCE_PARTS, REFERENCE_PATH)))

# --- files ----------------------------------------------------------------------------

MODEL_CONFIG = "config.json"
ADAPTER_CONFIG = "adapter_config.json"
SHARD_INDEX = "model.safetensors.index.json"
SINGLE_SHARD = "model.safetensors"
TOKENIZER_JSON = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
# The config mergekit and `mergelint run` save beside a merged model.
SAVED_CONFIG = "mergekit_config.yml"
# Settings: `[tool.mergelint]` in pyproject.toml, or a .mergelint.toml (which wins in one folder).
PYPROJECT = "pyproject.toml"
SETTINGS_FILE = ".mergelint.toml"
SETTINGS_FILES = (SETTINGS_FILE, PYPROJECT)
CONFIG_SUFFIXES = (".yml", ".yaml")
