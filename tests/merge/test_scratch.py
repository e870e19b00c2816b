"""The methods' working memory: kept buffers and recycled results (merge_core/method_kit/scratch.py)."""

import pytest


@pytest.fixture
def scratch():
    from merge_core.method_kit import scratch

    scratch.release_buffers()
    yield scratch
    scratch.release_buffers()


def test_a_buffer_is_reused_and_grows(scratch):
    import torch

    a = scratch.buffer("x", (4, 8), torch.float32, "cpu")
    b = scratch.buffer("x", (2, 3), torch.float32, "cpu")
    assert b.data_ptr() == a.data_ptr() and b.shape == (2, 3)
    assert scratch.buffer("y", (2, 3), torch.float32, "cpu").data_ptr() != a.data_ptr()  # other slot
    assert scratch.buffer("x", (2, 3), torch.bfloat16, "cpu").data_ptr() != a.data_ptr()  # other dtype
    big = scratch.buffer("x", (100,), torch.float32, "cpu")
    assert big.shape == (100,) and big.numel() == 100


def test_written_results_are_reused_smallest_first(scratch):
    import torch

    first = scratch.result((1000,), torch.bfloat16, "cpu")
    recycle = scratch.recycler(first)
    assert recycle is not None
    ptr = first.data_ptr()
    del first
    recycle()
    again = scratch.result((10, 30), torch.float32, "cpu")  # 1,200 bytes fit in 2,000
    assert again.data_ptr() == ptr and again.shape == (10, 30) and again.dtype == torch.float32
    assert scratch.result((4,), torch.float32, "cpu").data_ptr() != ptr  # in use, not handed out twice


def test_only_results_of_this_output_are_recycled(scratch):
    import torch

    assert scratch.recycler(torch.zeros(10)) is None  # not made by `result`
    dropped = scratch.result((10,), torch.float32, "cpu")
    converted = dropped.to(torch.float64)
    assert scratch.recycler(converted) is None
    assert scratch.recycler(dropped) is None  # the issue list was cleared with the last output


def test_at_most_a_few_results_are_kept(scratch):
    import torch

    recyclers = []
    for n in (10, 20, 30, 40, 50):
        recyclers.append(scratch.recycler(scratch.result((n,), torch.uint8, "cpu")))
    for recycle in recyclers:
        recycle()
    assert sorted(b.numel() for b in scratch._written) == [20, 30, 40, 50][-scratch.KEEP_RESULTS:]


def test_a_merge_gives_its_memory_back(zoo, run_mergelint, scratch):
    from test_merge_methods import two

    run_mergelint(two(zoo, "dare_ties", "density: 0.5", base=zoo.c, dtype="bfloat16"), seed=3)
    assert not scratch._buffers and not scratch._written and not scratch._issued
