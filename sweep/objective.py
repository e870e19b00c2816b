"""How a merged model is scored: perplexity over a text file, a Python function, or an lm_eval task.

`perplexity` (lower is better): the file's text is tokenized with the merged model's tokenizer,
without special tokens, and cut into consecutive windows of `window` tokens (512, or less where
the model's max_position_embeddings is smaller). Each window is scored on its own, with no context
carried over; the result is exp(total negative log-likelihood / tokens predicted) over all windows,
so a sweep's trials are scored on exactly the same tokens whatever their speed.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys
from dataclasses import dataclass

from .errors import SweepError, where

DIRECTIONS = ("minimize", "maximize")
WINDOW = 512


class ObjectiveError(Exception):
    """A trial's score could not be computed (the trial fails, the sweep goes on)."""


@dataclass(frozen=True)
class Objective:
    kind: str  # perplexity | python | lm_eval
    target: str  # the text file (absolute), `module:function`, or the lm_eval task
    direction: str = "minimize"
    window: int = WINDOW
    metric: str | None = None  # lm_eval's result key
    limit: int | None = None  # lm_eval: examples per task
    folder: str = "."  # the sweep file's folder: where `python` modules are imported from


def parse(node, sweep_file: str) -> Objective:
    at = where(sweep_file, node)
    folder = os.path.dirname(os.path.abspath(sweep_file))
    kinds = [k for k in ("perplexity", "python", "lm_eval") if isinstance(node, dict) and k in node]
    if len(kinds) != 1:
        raise SweepError(f"{at}: objective is one of {{perplexity: FILE.txt}}, {{python: module:function}} "
                         "or {lm_eval: TASK, metric: NAME}")
    kind = kinds[0]
    allowed = {kind, "direction", "window"} | ({"metric", "limit"} if kind == "lm_eval" else set())
    extra = sorted(str(k) for k in node if k not in allowed)
    if extra:
        raise SweepError(f"{at}: objective {kind} does not take {', '.join(extra)}")
    direction = node.get("direction", "minimize")
    if direction not in DIRECTIONS or (kind == "perplexity" and direction != "minimize"):
        raise SweepError(f"{at}: direction is minimize or maximize (perplexity: minimize)")
    window = node.get("window", WINDOW)
    if not isinstance(window, int) or isinstance(window, bool) or window < 2:
        raise SweepError(f"{at}: window is a whole number of tokens, 2 or more")
    target = str(node[kind])
    if kind == "perplexity":
        target = os.path.join(folder, target)
        if not os.path.isfile(target):
            raise SweepError(f"{where(sweep_file, node, kind)}: perplexity text {node[kind]} not found "
                             "(a path relative to the sweep file)")
    elif kind == "python":
        load_function(target, folder, where(sweep_file, node, kind))
    elif importlib.util.find_spec("lm_eval") is None:
        raise SweepError(f"{where(sweep_file, node, kind)}: objective lm_eval needs the lm-eval package, which is "
                         "not installed (pip install lm-eval); or score with perplexity or a python function")
    return Objective(kind, target, direction, window, node.get("metric"), node.get("limit"), folder)


def load_function(entry: str, folder: str, at: str = "objective"):
    """`module:function`, imported with the sweep file's folder on sys.path (as a script's folder is)."""
    module_name, _, function = entry.partition(":")
    if not module_name or not function:
        raise SweepError(f"{at}: a python objective is written module:function (got {entry!r})")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        fn = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError) as e:
        raise SweepError(f"{at}: cannot load {entry}: {e}") from None
    if not callable(fn):
        raise SweepError(f"{at}: {entry} is not a function")
    return fn


def score(objective: Objective, model_dir: str) -> float:
    if objective.kind == "perplexity":
        return perplexity(model_dir, objective.target, objective.window)
    if objective.kind == "python":
        try:
            return float(load_function(objective.target, objective.folder)(model_dir))
        except SweepError as e:
            raise ObjectiveError(str(e)) from None
    return _lm_eval(objective, model_dir)


def perplexity(model_dir: str, text_file: str, window: int = WINDOW) -> float:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with open(text_file, encoding="utf-8") as f:
        text = f.read()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    window = min(window, getattr(model.config, "max_position_embeddings", None) or window)
    ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids[0]
    nll, predicted = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(ids), window):
            chunk = ids[start:start + window].unsqueeze(0)
            n = chunk.shape[1] - 1  # the first token of a window is context only
            if n < 1:
                continue
            nll += model(chunk, labels=chunk).loss.item() * n  # loss: the mean over the n predicted tokens
            predicted += n
    if predicted == 0:
        raise ObjectiveError(f"{text_file}: fewer than 2 tokens to score")
    return math.exp(nll / predicted)


def _lm_eval(objective: Objective, model_dir: str) -> float:
    import lm_eval

    results = lm_eval.simple_evaluate(model="hf", model_args=f"pretrained={model_dir},dtype=float32",
                                      tasks=[objective.target], limit=objective.limit)
    scores = results["results"][objective.target]
    metric = objective.metric or "acc"
    for key in (metric, f"{metric},none"):  # lm_eval 0.4 names results `metric,filter`
        if key in scores:
            return float(scores[key])
    raise ObjectiveError(f"lm_eval task {objective.target} has no metric {metric} (it has {', '.join(scores)})")
