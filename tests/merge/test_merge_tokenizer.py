"""tokenizer_source and tokenizer: output vocabulary and permuted embeddings, as mergekit 0.1.5."""

import json
import os

import pytest


def config(z, extra, method="linear", models=None):
    models = models or [z.base, z.chatml, z.padded]
    rows = [f"merge_method: {method}", "dtype: float32", f"base_model: {z.base}", "models:"]
    for m in models:
        rows += [f"  - model: {m}", "    parameters: {weight: 1.0}"]
    return "\n".join(rows + [extra]) + "\n"


def vocab_of(folder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder).get_vocab()


CASES = {
    "base": "tokenizer_source: base",
    "union": "tokenizer_source: union",
    "model": "tokenizer_source: {chatml}",
    "force_tokens": (
        "tokenizer:\n  source: union\n  tokens:\n"
        "    _tok_10: {{source: {chatml}, force: true}}\n    _tok_11: {{source: {base}, force: true}}"
    ),
    "model_token": (
        "tokenizer:\n  source: base\n  tokens:\n"
        "    _tok_20:\n      source: {{kind: model_token, model: {chatml}, token_id: 64}}\n      force: true\n"
        "    _tok_21:\n      source: {{kind: model_token, model: {base}, token: \"<s>\"}}\n      force: true"
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tokenizer_source_matches_mergekit(tok_zoo, run_mergekit, run_mergelint, same_as, case):
    text = config(tok_zoo, CASES[case].format(chatml=tok_zoo.chatml, base=tok_zoo.base))
    theirs, ours = run_mergekit(text), run_mergelint(text)
    same_as(ours, theirs)
    assert vocab_of(ours) == vocab_of(theirs)
    with open(os.path.join(ours, "config.json")) as f, open(os.path.join(theirs, "config.json")) as g:
        assert json.load(f)["vocab_size"] == json.load(g)["vocab_size"]


def test_pad_to_multiple_of(tok_zoo, run_mergekit, run_mergelint, same_as):
    text = config(tok_zoo, "tokenizer: {source: base, pad_to_multiple_of: 16}", models=[tok_zoo.chatml])
    text = text.replace(f"base_model: {tok_zoo.base}", f"base_model: {tok_zoo.chatml}")
    ours, _ = same_as(run_mergelint(text), run_mergekit(text))
    assert ours["model.embed_tokens.weight"].shape[0] == 80


def test_slerp_union(tok_zoo, run_mergekit, run_mergelint, same_as):
    text = "\n".join([
        "merge_method: slerp", f"base_model: {tok_zoo.base}", "parameters: {t: 0.5}", "tokenizer_source: union",
        "models:", f"  - model: {tok_zoo.base}", f"  - model: {tok_zoo.chatml}",
    ]) + "\n"
    same_as(run_mergelint(text), run_mergekit(text))


def test_new_token_with_source_base(tok_zoo, run_mergelint, tensors_of):
    """A token added to a `source: base` vocabulary gets its configured row (mergekit 0.1.5
    crashes here with a KeyError: it adds the token to the base's own tokenizer object)."""
    import torch

    text = config(tok_zoo, "tokenizer:\n  source: base\n  tokens:\n"
                           f"    _new: {{source: {{kind: model_token, model: {tok_zoo.chatml}, token_id: 65}}}}\n"
                           "    _zero: {source: {kind: zero}}")
    out = run_mergelint(text)
    vocab = vocab_of(out)
    assert vocab["_new"] == 64 and vocab["_zero"] == 65
    emb = tensors_of(out)["model.embed_tokens.weight"]
    assert emb.shape[0] == 66
    assert torch.equal(emb[65], torch.zeros_like(emb[65]))
    assert not torch.equal(emb[64], torch.zeros_like(emb[64]))
