"""The JSON Schema (2020-12) of a mergekit merge config, built from the method registry.

This is the structural grammar of the config language: every key, where it may
appear, what values it takes, and per method which parameter names exist.
The published file `schema/mergekit-config.schema.json` is its output.
"""

from __future__ import annotations

from .language import (
    BUILTIN_CHAT_TEMPLATES, CHAT_TEMPLATES, DTYPE_NAMES, LAYOUT_KEYS, MERGE_METHOD, TOKENIZER_SOURCES, TOP_LEVEL_KEYS,
)
from .method_kit.spec import MergeMethod, Param
from .methods import METHODS
from .modules import MODULAR
from .multi.language import NAME

SCHEMA_ID = "https://mergelint.dev/schema/mergekit-config.schema.json"
MULTI_SCHEMA_ID = "https://mergelint.dev/schema/mergekit-multi.schema.json"

# Titles double as the "expected ..." part of the checker's messages.
_T_REFERENCE = "a model reference: a path or Hub id, optionally with @revision and +lora"
_T_SETTING = (
    "a number, a list of numbers (a per-layer gradient) or a list of {filter, value} entries"
)


def _module_names() -> dict:
    """The module names mergelint knows (merge_core/modules.py), each with what it is."""
    kinds: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for model_type, specs in MODULAR.items():
        for spec in specs:
            kinds.setdefault(spec.name, []).append(model_type)
            if spec.prefix not in prefixes.setdefault(spec.name, []):
                prefixes[spec.name].append(spec.prefix)
    names = {"default": {"description": "The whole model: the one module of a model that has no named modules.",
                         **_ref("outputModule")}}
    for name in sorted(kinds):
        weights = ", ".join(f"{p}*" for p in prefixes[name])
        names[name] = {"description": f"The {name} module of {', '.join(kinds[name])} models (weights {weights}).",
                       **_ref("outputModule")}
    return names


def _ref(name: str) -> dict:
    return {"$ref": f"#/$defs/{name}"}


def _param_schema(param: Param) -> dict:
    doc = f"{param.doc}\n\nDefault: {param.default_text()}."
    if param.bounds is not None:
        doc += f" Sensible range: {param.bounds.describe()}."
    return {"description": doc, **_ref("parameterSetting")}


def _parameters(params: tuple[Param, ...]) -> dict:
    names = [p.name for p in params]
    return {
        "type": ["object", "null"],
        "properties": {p.name: _param_schema(p) for p in params},
        "propertyNames": {"enum": names},
    }


def _method_rule(method: MergeMethod) -> dict:
    """`if merge_method is X then` its parameter names, at every level they may appear."""
    anywhere = _parameters(method.params)
    per_model = {"properties": {"parameters": _parameters(method.per_model_params)}}
    slice_ = {
        "properties": {
            "parameters": anywhere,
            "sources": {"items": per_model},
        }
    }
    return {
        "if": {"properties": {"merge_method": {"const": method.name}}, "required": ["merge_method"]},
        "then": {
            "properties": {
                "parameters": anywhere,
                "models": {"items": per_model},
                "slices": {"items": slice_},
                "modules": {
                    "additionalProperties": {
                        "properties": {
                            "parameters": anywhere,
                            "models": {"items": per_model},
                            "slices": {"items": slice_},
                        }
                    }
                },
            }
        },
    }


def _method_description(method: MergeMethod) -> str:
    base = {"required": "required", "optional": "optional", "ignored": "not used"}[method.base.value]
    return f"{method.pretty_name}: {method.doc} (base_model: {base}; inputs: {method.contract.describe()})"


def reference_defs() -> dict:
    """The `$defs` of a model reference, which every mergekit command's schema shares."""
    model_path = {
        "anyOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "object",
                "properties": {"path": {"type": "string"}, "revision": {"type": ["string", "null"]}},
                "required": ["path"],
                "additionalProperties": False,
            },
        ]
    }
    return {
        "modelPath": model_path,
        "modelReference": {
            "title": _T_REFERENCE,
            "anyOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "properties": {
                        "model": {"description": "The model: path or {path, revision}.", **_ref("modelPath")},
                        "lora": {"description": "A LoRA adapter applied to the model.", **_ref("modelPath")},
                        "override_architecture": {
                            "type": "string",
                            "description": "Architecture class name used instead of the one in config.json.",
                        },
                    },
                    "required": ["model"],
                    "additionalProperties": False,
                },
            ],
        },
    }


def _defs() -> dict:
    scalar = {"type": ["number", "boolean", "string"]}
    return {
        **reference_defs(),
        "scalar": scalar,
        "gradient": {
            "title": "a list of numbers interpolated across the layers of each slice",
            "type": "array",
            "items": scalar,
        },
        "conditional": {
            "title": "a {filter, value} entry",
            "type": "object",
            "properties": {
                "filter": {
                    "type": ["string", "null"],
                    "description": "Applies to tensors whose name contains this text (plain substring).",
                },
                "value": {
                    "description": "The value: a number or a per-layer gradient.",
                    "anyOf": [scalar, _ref("gradient")],
                },
            },
            "required": ["value"],
            "additionalProperties": False,
        },
        "parameterSetting": {
            "title": _T_SETTING,
            "anyOf": [
                scalar,
                _ref("gradient"),
                {"type": "array", "items": _ref("conditional")},
                _ref("conditional"),
            ],
        },
        "parameters": {
            "title": "a mapping of parameter names to values",
            "type": ["object", "null"],
            "additionalProperties": _ref("parameterSetting"),
        },
        "inputModel": {
            "type": "object",
            "properties": {
                "model": {"description": "The model to merge.", **_ref("modelReference")},
                "parameters": {
                    "description": "Parameters for this model (weight, density, ...).",
                    **_ref("parameters"),
                },
            },
            "required": ["model"],
            "additionalProperties": False,
        },
        "inputSlice": {
            "type": "object",
            "properties": {
                "model": {"description": "The model this slice takes layers from.", **_ref("modelReference")},
                "layer_range": {
                    "description": "[start, end): layers start to end-1 of the model. The end is exclusive.",
                    "type": "array",
                    "items": {"type": "integer"},
                    "minItems": 2,
                    "maxItems": 2,
                },
                "parameters": {"description": "Parameters for this source.", **_ref("parameters")},
            },
            "required": ["model", "layer_range"],
            "additionalProperties": False,
        },
        "outputSlice": {
            "type": "object",
            "properties": {
                "sources": {
                    "description": "The layer ranges merged into this slice of the output.",
                    "type": "array",
                    "items": _ref("inputSlice"),
                    "minItems": 1,
                },
                "base_model": {"description": "Base model for this slice only.", **_ref("modelReference")},
                "residual_weight": {
                    "description": "Parsed but never used by mergekit.",
                    "type": "number",
                },
                "parameters": {"description": "Parameters for this slice.", **_ref("parameters")},
            },
            "required": ["sources"],
            "additionalProperties": False,
        },
        "outputModule": {
            "type": "object",
            "properties": {
                "models": {"type": "array", "items": _ref("inputModel"), "minItems": 1},
                "slices": {"type": "array", "items": _ref("outputSlice"), "minItems": 1},
                "parameters": {"description": "Parameters for this module.", **_ref("parameters")},
            },
            "oneOf": [{"required": ["models"]}, {"required": ["slices"]}],
            "additionalProperties": False,
        },
        "tokenEmbedding": {
            "type": "object",
            "properties": {
                "source": {
                    "description": "Where the token's embedding comes from.",
                    "anyOf": [
                        {
                            "type": "object",
                            "properties": {
                                "kind": {"const": "model_token"},
                                "model": _ref("modelReference"),
                                "token_id": {"type": "integer"},
                                "token": {"type": "string"},
                            },
                            "required": ["kind", "model"],
                            "additionalProperties": False,
                        },
                        {
                            "type": "object",
                            "properties": {"kind": {"const": "zero"}},
                            "required": ["kind"],
                            "additionalProperties": False,
                        },
                        _ref("modelReference"),
                        {"type": "null"},
                    ],
                },
                "force": {
                    "type": "boolean",
                    "description": "Use this source even for models that have the token.",
                },
            },
            "additionalProperties": False,
        },
        "tokenizer": {
            "type": "object",
            "properties": {
                "source": {
                    "description": "union (default), base, or a model whose tokenizer is used.",
                    "anyOf": [{"enum": list(TOKENIZER_SOURCES)}, _ref("modelReference")],
                },
                "tokens": {
                    "type": "object",
                    "additionalProperties": _ref("tokenEmbedding"),
                    "description": "Tokens to add or whose embeddings to set.",
                },
                "pad_to_multiple_of": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Round the vocabulary size up to a multiple of this.",
                },
            },
            "additionalProperties": False,
        },
    }


def _top_level(methods: list[MergeMethod]) -> dict:
    """Each top-level key's schema, in language.TOP_LEVEL_KEYS' order."""
    dtype = {"enum": list(DTYPE_NAMES)}
    described = {
        "merge_method": {
            "description": "The merge algorithm.",
            "type": "string",
            "enum": [m.name for m in methods],
            "enumDescriptions": [_method_description(m) for m in methods],
            "markdownEnumDescriptions": [_method_description(m) for m in methods],
        },
        "base_model": {
            "description": "The base model; added as an input when not listed under models.",
            **_ref("modelReference"),
        },
        "models": {
            "description": "Whole-model merge: every listed model is merged over all its layers.",
            "type": "array",
            "items": _ref("inputModel"),
            "minItems": 1,
        },
        "slices": {
            "description": "Layer-wise assembly: each slice merges layer ranges of its sources.",
            "type": "array",
            "items": _ref("outputSlice"),
            "minItems": 1,
        },
        "modules": {
            "description": "Per-module merges for multi-module architectures (vision-language, T5, ...).",
            "type": "object",
            "properties": _module_names(),
            "additionalProperties": _ref("outputModule"),
            "minProperties": 1,
        },
        "parameters": {"description": "Parameters for every model and tensor.", **_ref("parameters")},
        "dtype": {"description": "dtype input tensors are cast to when loaded.", **dtype},
        "out_dtype": {"description": "dtype of the saved output tensors.", **dtype},
        "tokenizer_source": {
            "description": "union, base, or a model: rebuilds the tokenizer and embeddings.",
            "anyOf": [{"enum": list(TOKENIZER_SOURCES)}, _ref("modelReference"), {"type": "null"}],
        },
        "tokenizer": {"description": "Tokenizer settings (exclusive with tokenizer_source).", **_ref("tokenizer")},
        "chat_template": {
            "description": "auto, a built-in name (" + ", ".join(BUILTIN_CHAT_TEMPLATES) + ") or a Jinja template.",
            "type": "string",
            "examples": list(CHAT_TEMPLATES),
        },
    }
    return {key: described[key] for key in TOP_LEVEL_KEYS}


def build_schema() -> dict:
    methods = sorted(METHODS.values(), key=lambda m: m.name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "mergekit merge configuration (mergekit-yaml)",
        "description": "Generated by `mergelint schema` from the merge method registry. Do not edit.",
        "type": "object",
        "properties": _top_level(methods),
        "required": [MERGE_METHOD],
        "oneOf": [{"required": [key]} for key in LAYOUT_KEYS],
        "additionalProperties": False,
        "allOf": [_method_rule(m) for m in methods],
        "$defs": _defs(),
    }


def build_multi_schema() -> dict:
    """One document of a mergekit-multi stream: a mergekit-yaml config plus its optional `name:`."""
    schema = build_schema()
    schema["properties"] = {NAME: {
        "description": "The stage's name: it is merged into INTERMEDIATE_DIR/NAME, and later documents use the "
                       "name as a model. The one document without a name is the final merge, written to OUT.",
        "type": "string",
        "minLength": 1,
    }, **schema["properties"]}
    schema.update({"$id": MULTI_SCHEMA_ID, "title": "one document of a mergekit-multi stream"})
    return schema
