"""Parity with mergekit 0.1.5, method by method: every output tensor compared.

Deterministic methods must match bit for bit in float32 and in bfloat16 (mergekit's
dtype rules: linear and slerp accumulate in float32, the task-arithmetic family builds
its weights in the tensor dtype, ...). The random ones run with density 1 (no sampling)
here; test_merge_random.py covers sampling.
"""

import pytest

DTYPES = ["float32", "bfloat16"]


def two(zoo, method, params="", models_params=("weight: 0.6", "weight: 0.4"), base=None, dtype="float32",
        first=None, second=None):
    first = first or zoo.a
    second = second or zoo.b
    lines = [f"merge_method: {method}", f"dtype: {dtype}", "models:",
             f"  - model: {first}", f"    parameters: {{{models_params[0]}}}" if models_params[0] else "",
             f"  - model: {second}", f"    parameters: {{{models_params[1]}}}" if models_params[1] else ""]
    if base:
        lines.append(f"base_model: {base}")
    if params:
        lines.append(f"parameters: {{{params}}}")
    return "\n".join(line for line in lines if line) + "\n"


CASES = {
    "linear": lambda z, d: two(z, "linear", dtype=d),
    "linear_no_normalize": lambda z, d: two(z, "linear", "normalize: false", dtype=d),
    "slerp": lambda z, d: two(z, "slerp", "t: 0.35", ("", ""), base=z.a, dtype=d),
    "slerp_gradient": lambda z, d: two(z, "slerp", "t: [0, 0.3, 1]", ("", ""), base=z.a, dtype=d),
    "nuslerp": lambda z, d: two(z, "nuslerp", "", dtype=d),
    "nuslerp_base_rowwise": lambda z, d: two(z, "nuslerp", "nuslerp_row_wise: true, nuslerp_flatten: false",
                                             base=z.c, dtype=d),
    "nuslerp_lastdim": lambda z, d: two(z, "nuslerp", "nuslerp_flatten: false", dtype=d),
    "multislerp": lambda z, d: two(z, "multislerp", base=z.c, dtype=d),
    "multislerp_nobase": lambda z, d: two(z, "multislerp", dtype=d),
    "karcher": lambda z, d: two(z, "karcher", "max_iter: 5, tol: 1e-5", ("", ""), base=z.c, dtype=d),
    "task_arithmetic": lambda z, d: two(z, "task_arithmetic", base=z.c, dtype=d),
    "task_arithmetic_normalize_lambda": lambda z, d: two(z, "task_arithmetic", "normalize: true, lambda: 0.7",
                                                         base=z.c, dtype=d),
    "ties_density1": lambda z, d: two(z, "ties", base=z.c, dtype=d),
    "ties": lambda z, d: two(z, "ties", "density: 0.3", base=z.c, dtype=d),
    "dare_ties_density1": lambda z, d: two(z, "dare_ties", base=z.c, dtype=d),
    "dare_linear_density1": lambda z, d: two(z, "dare_linear", base=z.c, dtype=d),
    "breadcrumbs": lambda z, d: two(z, "breadcrumbs", base=z.c, dtype=d),
    "breadcrumbs_sparse": lambda z, d: two(z, "breadcrumbs", "density: 0.8, gamma: 0.05", base=z.c, dtype=d),
    "breadcrumbs_ties": lambda z, d: two(z, "breadcrumbs_ties", "density: 0.7", base=z.c, dtype=d),
    "della_density1": lambda z, d: two(z, "della", "lambda: 0.5", base=z.c, dtype=d),
    "della_linear_density1": lambda z, d: two(z, "della_linear", base=z.c, dtype=d),
    "sce": lambda z, d: two(z, "sce", "select_topk: 0.5", base=z.c, dtype=d),
    "sce_all": lambda z, d: two(z, "sce", "", base=z.c, dtype=d),
    "ram": lambda z, d: two(z, "ram", base=z.c, dtype=d),
    "ramplus_tl": lambda z, d: two(z, "ramplus_tl", "r: 0.05, alpha: 1.0", base=z.c, dtype=d),
    "model_stock": lambda z, d: two(z, "model_stock", "", ("", ""), base=z.a, dtype=d, first=z.b, second=z.c),
    "model_stock_filterwise": lambda z, d: two(z, "model_stock", "filter_wise: true", ("", ""), base=z.a, dtype=d,
                                               first=z.b, second=z.c),
    "nearswap": lambda z, d: two(z, "nearswap", "t: 0.05", ("", ""), base=z.a, dtype=d),
    "arcee_fusion": lambda z, d: two(z, "arcee_fusion", "", ("", ""), base=z.a, dtype=d),
    "passthrough": lambda z, d: f"merge_method: passthrough\ndtype: {d}\nmodels:\n  - model: {z.a}\n",
    "passthrough_scale": lambda z, d: (
        f"merge_method: passthrough\ndtype: {d}\nmodels:\n  - model: {z.a}\n    parameters:\n"
        "      scale:\n        - filter: o_proj\n          value: 0\n        - value: [0.5, 2]\n"),
}


# magnitude cut-offs: in bfloat16 many |delta| tie exactly at the cut-off
SORTED = {"ties", "breadcrumbs_sparse", "breadcrumbs_ties"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_method_matches_mergekit(zoo, parity, case, dtype):
    parity(CASES[case](zoo, dtype), mergekit_sort=case in SORTED and dtype == "bfloat16")


@pytest.mark.parametrize("case", sorted(SORTED))
def test_fast_selection_differs_only_at_exact_ties(zoo, run_mergekit, run_mergelint, tensors_of, case):
    """Without --mergekit-sort the kept set is found by selection; it can differ from mergekit's
    only among deltas whose magnitude equals the cut-off, and keeps the same number of them."""
    import torch

    config = CASES[case](zoo, "bfloat16")
    ours, theirs = tensors_of(run_mergelint(config)), tensors_of(run_mergekit(config))
    base, models = tensors_of(zoo.c), [tensors_of(zoo.a), tensors_of(zoo.b)]
    differing = 0
    for name, x in ours.items():
        y = theirs[name]
        assert x.dtype == y.dtype and x.shape == y.shape
        bad = x != y
        if not bad.any():
            continue
        differing += 1
        # every differing element has, in some model, a delta that ties another delta's magnitude
        ties = torch.zeros_like(bad)
        for m in models:
            delta = (m[name].bfloat16() - base[name].bfloat16()).abs().float()
            values, counts = delta.unique(return_counts=True)
            ties |= torch.isin(delta, values[counts > 1])
        assert bool(ties[bad].all()), name
        assert int(bad.sum()) <= int(ties.sum()), name
    assert differing  # bf16 really has ties at the cut-off here


def test_every_method_is_covered():
    from merge_core.methods import METHODS

    covered = {c.split("_density1")[0] for c in CASES} | {c.rsplit("_", 1)[0] for c in CASES}
    assert set(METHODS) <= covered | set(CASES), set(METHODS) - covered - set(CASES)


@pytest.mark.parametrize("case", ["linear", "ties", "task_arithmetic", "breadcrumbs_ties"])
def test_chunked_elementwise_steps_match_mergekit(zoo, parity, monkeypatch, case):
    """linear and the task-arithmetic family work in chunks on large tensors; force many
    small, uneven chunks here and still match mergekit exactly."""
    from merge_core.method_kit import gta
    from merge_core.methods import linear

    monkeypatch.setattr(gta, "CHUNK", 777)
    monkeypatch.setattr(linear, "CHUNK", 777)
    parity(CASES[case](zoo, "bfloat16"), mergekit_sort=case in SORTED)


def test_chunked_random_method_matches_mergekit(zoo, parity, monkeypatch):
    from merge_core.method_kit import gta

    monkeypatch.setattr(gta, "CHUNK", 500)
    parity(two(zoo, "dare_ties", "density: 0.7", base=zoo.c, dtype="bfloat16"), seed=99)
