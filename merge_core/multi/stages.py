"""A mergekit-multi stream as values: its stages, what each reads of the others, their order.

mergekit-multi 0.1.5 (`load_config`, `patched_config`, `make_tasks`) pops each document's
`name:`, then walks the *dumped* config and parses every string value as a model reference:
one whose model path is a stage name becomes `INTERMEDIATE_DIR/NAME` (revision and LoRA kept;
a LoRA path is never rewritten). Because the walk is over every string, not only model fields,
`tokenizer_source`, `tokenizer.source` and a token's `source` count as references, and a
`merge_method`, `dtype` or filter that happens to equal a stage name is rewritten too (and the
merge then fails): those are `clashes`. A string with two `+` or two `@` makes mergekit's parse
raise RuntimeError, which its walk does not catch: mergekit-multi stops on it (`unparsable`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..language import PARAMETERS, TOKENIZER, TOP_LEVEL_KEYS, WHOLE_REFERENCE_KEYS
from ..references import ModelReferenceError, reference_from_value
from .language import NAME

class StreamError(ValueError):
    """A stream mergekit-multi refuses; the message is mergekit's where it has one."""


@dataclass
class Stage:
    index: int  # the document's position in the stream
    name: str | None  # None: the unnamed, final merge
    config: dict  # the document without `name:`, as written
    needs: list[str] = field(default_factory=list)  # stage names it reads, in order of first use
    # (where, value): strings outside references that mergekit rewrites too, or cannot parse
    clashes: list[tuple[tuple, str]] = field(default_factory=list)
    unparsable: list[tuple[tuple, str]] = field(default_factory=list)


def split(documents: list) -> list[Stage]:
    """The stages of a stream (`yaml.safe_load_all`'s documents), with mergekit's errors."""
    stages: list[Stage] = []
    seen: set = set()
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict):
            what = "empty" if doc is None else f"a {type(doc).__name__}, not a mapping"
            raise StreamError(f"document {index + 1} is {what}: every document of a mergekit-multi stream is a "
                              "merge config (mergekit-multi fails on it)")
        config = dict(doc)
        name = config.pop(NAME, None)
        if name is not None and not isinstance(name, str):
            raise StreamError(f"document {index + 1}: name must be a string, not {name!r} (mergekit-multi fails "
                              "when it makes the stage's folder)")
        if name in seen:
            raise StreamError(f"Duplicate merge name {name}" if name is not None
                              else "Multiple unnamed merge configurations are not supported")
        seen.add(name)
        stages.append(Stage(index, name, config))
    return link(stages)


def link(stages: list[Stage]) -> list[Stage]:
    """Fill in what each stage reads of the others (and what mergekit's walk trips over)."""
    names = {s.name for s in stages if s.name is not None}
    for stage in stages:
        stage.needs, stage.clashes, stage.unparsable = [], [], []
        _walk(stage, stage.config, (), names)
    return stages


def _walk(stage: Stage, value, path: tuple, names: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not path and key not in TOP_LEVEL_KEYS:
                continue  # mergekit drops unknown top-level keys before its walk
            if _is_reference(path, key):
                _reference(stage, item, path + (key,), names)
            else:
                _walk(stage, item, path + (key,), names)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _walk(stage, item, path + (n,), names)
    elif isinstance(value, str):
        if _unparsable(value):
            stage.unparsable.append((path, value))
        elif value.split("+")[0].split("@")[0] in names:
            stage.clashes.append((path, value))


def _unparsable(text: str) -> bool:
    return text.count("+") > 1 or any(part.count("@") > 1 for part in text.split("+"))


def _is_reference(path: tuple, key) -> bool:
    """Where mergekit's config holds a ModelReference (a token's `source` and `model` included)."""
    if path and path[-1] == PARAMETERS:
        return False
    return key in WHOLE_REFERENCE_KEYS or (key == "source" and path[:2] == (TOKENIZER, "tokens"))


def _reference(stage: Stage, value, path: tuple, names: set[str]) -> None:
    if isinstance(value, dict) and "kind" in value:  # a token's {kind: model_token, model: ..., token: ...}
        _walk(stage, value, path, names)
        return
    if isinstance(value, str) and _unparsable(value):
        stage.unparsable.append((path, value))
        return
    name = reference_name(value, names)
    if name is not None and name not in stage.needs:
        stage.needs.append(name)


def reference_name(value, names) -> str | None:
    """The stage a reference value (string or dict form) reads, or None."""
    if not isinstance(value, (str, dict)):
        return None
    try:
        path = reference_from_value(value).model.path
    except ModelReferenceError:
        return None
    return path if path in names else None


def dotted(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def order(stages: list[Stage]) -> list[Stage]:
    """The stages in an order that runs each after what it reads (mergekit's depth-first walk,
    from each document in turn); a cycle is mergekit's error."""
    cyc = cycle(stages)
    if cyc:
        raise StreamError(f"Circular dependency detected involving {cyc[0]}")
    named = _named(stages)
    done: list[Stage] = []

    def visit(stage: Stage) -> None:
        if stage in done:
            return
        for name in stage.needs:
            visit(named[name])
        done.append(stage)

    for stage in stages:
        visit(stage)
    return done


def cycle(stages: list[Stage]) -> list[str] | None:
    """The names along the first cycle between stages (a stage that reads itself included), or None."""
    named = _named(stages)
    state: dict[str, int] = {}  # 1: on the current path, 2: finished

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if state.get(name) == 1:
            return trail[trail.index(name):] + [name]
        if state.get(name) == 2:
            return None
        state[name] = 1
        for need in named[name].needs:
            found = visit(need, trail + [name])
            if found:
                return found
        state[name] = 2
        return None

    for name in named:
        found = visit(name, [])
        if found:
            return found
    return None


def _named(stages: list[Stage]) -> dict[str, Stage]:
    named: dict[str, Stage] = {}
    for stage in stages:
        if stage.name is not None:
            named.setdefault(stage.name, stage)  # a duplicate name: the first one (split refuses it)
    return named


def output_folder(stage: Stage, intermediate_dir: str, out: str | None) -> str | None:
    """Where a stage is written: INTERMEDIATE_DIR/NAME, or OUT for the unnamed final merge."""
    return out if stage.name is None else os.path.join(intermediate_dir, stage.name)


def rewritten(stage: Stage, names, intermediate_dir: str) -> dict:
    """The stage's config with each reference to a stage pointing at its folder (mergekit's patch;
    the dict form, so that a folder with `+` or `@` in it still reads as one path)."""
    def patch(value, path: tuple):
        if isinstance(value, dict):
            return {k: (_patched(v, names, intermediate_dir) if _is_reference(path, k) and not _token_map(v)
                        else patch(v, path + (k,))) for k, v in value.items()}
        if isinstance(value, list):
            return [patch(v, path + (n,)) for n, v in enumerate(value)]
        return value

    return patch(stage.config, ())


def _token_map(value) -> bool:
    return isinstance(value, dict) and "kind" in value


def _patched(value, names, intermediate_dir: str):
    name = reference_name(value, names)
    if name is None:
        return value
    ref = reference_from_value(value)
    model = {"path": os.path.join(intermediate_dir, name)}
    if ref.model.revision:
        model["revision"] = ref.model.revision
    patched = {"model": model, "lora": None if ref.lora is None else str(ref.lora),
               "override_architecture": ref.override_architecture}
    return {k: v for k, v in patched.items() if v is not None}
