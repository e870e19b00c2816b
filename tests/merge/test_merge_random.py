"""The random methods: seeded runs reproduce themselves, and match mergekit's draws.

mergekit draws from torch's global generator, seeded by --random-seed, in its scheduler's
order; mergelint processes tensors in that same order from a generator seeded the same way,
so on CPU the Bernoulli masks are the same draws.
"""

import pytest

from test_merge_methods import two  # noqa: E402


RANDOM = {
    "dare_ties": "density: 0.66",
    "dare_linear": "density: 0.5",
    "della": "density: 0.66, epsilon: 0.05, lambda: 0.5",
    "della_linear": "density: 0.5, epsilon: 0.1",
}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("method", sorted(RANDOM))
def test_seeded_random_methods_match_mergekit(zoo, parity, method, dtype):
    parity(two(zoo, method, RANDOM[method], base=zoo.c, dtype=dtype), seed=1234)


def test_same_seed_same_output_other_seed_other_output(zoo, run_mergelint, tensors_of):
    import torch

    config = two(zoo, "dare_ties", "density: 0.5", base=zoo.c)
    first = tensors_of(run_mergelint(config, name="s1", seed=7))
    again = tensors_of(run_mergelint(config, name="s2", seed=7))
    other = tensors_of(run_mergelint(config, name="s3", seed=8))
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_fast_bernoulli_mask_is_torch_bernoulli(monkeypatch, dtype):
    """The CPU draw (uniforms below p, in chunks) gives torch.bernoulli's mask bit for bit
    and leaves the generator where torch.bernoulli leaves it."""
    import torch

    from merge_core.method_kit import sparsify

    monkeypatch.setattr(sparsify, "DRAW_CHUNK", 1000)  # several chunks, the last one short
    work = getattr(torch, dtype)
    ours, theirs = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    shape = (37, 101)
    per_element = torch.rand(shape, generator=torch.Generator().manual_seed(6)).to(work)
    for probs in (torch.tensor(0.3, dtype=work), torch.tensor(0.9, dtype=work), per_element):
        mask = sparsify._bernoulli_mask(shape, probs, ours)
        expected = torch.bernoulli(probs.expand(shape).contiguous(), generator=theirs)
        assert mask.dtype == expected.dtype and torch.equal(mask, expected)
        assert torch.equal(ours.get_state(), theirs.get_state())


def test_bernoulli_keeps_density_and_l1_norm():
    import torch

    from merge_core.method_kit import sparsify

    g = torch.Generator().manual_seed(0)
    delta = torch.randn(256, 256, generator=g)
    for density in (0.1, 0.5, 0.9):
        out = sparsify.bernoulli(delta.clone(), density, rescale=True, generator=g)  # may overwrite it
        kept = (out != 0).float().mean().item()
        assert abs(kept - density) < 0.01
        assert torch.allclose(out.abs().sum(), delta.abs().sum(), rtol=1e-4)
        plain = sparsify.bernoulli(delta.clone(), density, rescale=False, generator=g)
        nz = plain != 0
        assert torch.equal(plain[nz], delta[nz])


def test_della_keeps_density_and_prefers_large_magnitudes():
    import torch

    from merge_core.method_kit import sparsify

    g = torch.Generator().manual_seed(1)
    delta = torch.randn(64, 1024, generator=g)
    out = sparsify.della_magprune(delta.clone(), 0.5, 0.2, rescale=False, generator=g)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.5) < 0.01
    order = delta.abs().argsort(dim=1)
    low = kept.gather(1, order[:, :200]).float().mean().item()
    high = kept.gather(1, order[:, -200:]).float().mean().item()
    assert 0.28 < low < 0.36 and 0.64 < high < 0.72  # p runs from 0.3 to 0.7 across ranks
    with pytest.raises(ValueError, match="Epsilon must be chosen"):
        sparsify.della_magprune(delta, 0.66, 1.35, rescale=False)


@pytest.mark.parametrize("largest", [True, False])
def test_selection_takes_ties_lowest_index_first_across_chunks(monkeypatch, largest):
    """The k largest (smallest) values, exact ties at the cut-off taken lowest index first,
    also when the ties run over several chunks: the same set as a stable sort gives."""
    import torch

    from merge_core.method_kit import scratch, sparsify

    monkeypatch.setattr(scratch, "SCRATCH_BYTES", 16 << 10)  # 4,096-element chunks
    w = torch.randint(0, 7, (20_000,), generator=torch.Generator().manual_seed(3)).to(torch.bfloat16)
    for k in (0, 1, 2_857, 9_999, 10_001, 19_999, 20_000):
        mask = sparsify._select(w, k, torch.float32, "keep", largest=largest)
        order = torch.sort(-w.float() if largest else w.float(), stable=True).indices[:k]
        expected = torch.zeros(20_000)
        expected[order] = 1
        assert torch.equal(mask, expected), k


def test_magnitude_selection_counts_and_ties():
    import torch

    from merge_core.method_kit import sparsify

    x = torch.tensor([3.0, -1.0, 2.0, -2.0, 2.0, 0.5])  # cloned per call: a sparsifier may overwrite it
    out = sparsify.magnitude(x.clone(), 0.5, rescale=False)  # keep 3: |3|, then two of the three 2s
    assert torch.equal(out, torch.tensor([3.0, 0.0, 2.0, -2.0, 0.0, 0.0]))
    assert torch.equal(sparsify.magnitude(x.clone(), 0.0, rescale=False), torch.zeros(6))
    assert (sparsify.magnitude(x.clone(), 0.01, rescale=False) != 0).sum() == 1  # at least one is kept
    # breadcrumbs: drop the top gamma share and the smallest, keep int(density * n)
    y = torch.arange(1.0, 101.0)
    kept = sparsify.magnitude_outliers(y.clone(), 0.9, 0.05, rescale=False) != 0
    assert kept.sum() == 90 and not kept[-5:].any() and not kept[:5].any()
    small = torch.arange(1.0, 65.0)  # 0.1.5 fix: small tensors keep their delta
    assert (sparsify.magnitude_outliers(small.clone(), 0.9, 0.01, rescale=False) != 0).sum() == 57
