"""`mergelint run --device cuda` against `--device cpu` on the same config: every output tensor
equal within its dtype's tolerance (torch.testing's defaults: float32 rtol 1.3e-6, bfloat16 1.6e-2).

Runs only where CUDA is available (elsewhere each test is skipped, saying so); bench/gpu/run.sh
measures the GPU path's speed and memory. dare_ties is left out: on CUDA its masks come from the
device's generator, another stream of numbers than the CPU's.
"""

import pytest

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402
from test_merge_methods import two  # noqa: E402  (only pytest: bench/gpu/run.sh --tests carries no hypothesis)

from mergelint.cli import main  # noqa: E402

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="needs a CUDA device: torch.cuda.is_available() is False")

CASES = {
    "linear": lambda zoo, dtype: two(zoo, "linear", dtype=dtype),
    "ties": lambda zoo, dtype: two(zoo, "ties", "density: 0.3", base=zoo.c, dtype=dtype),
}


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_cuda_output_equals_cpu_output(zoo, cfg, tmp_path, tensors_of, case, dtype):
    path = cfg(CASES[case](zoo, dtype))
    for device in ("cpu", "cuda"):
        result = CliRunner().invoke(main, ["run", str(path), str(tmp_path / device), "--device", device])
        assert result.exit_code == 0, result.output
    cpu, cuda = tensors_of(tmp_path / "cpu"), tensors_of(tmp_path / "cuda")
    assert set(cuda) == set(cpu)
    for name in sorted(cpu):
        assert cuda[name].dtype == cpu[name].dtype, name
        torch.testing.assert_close(cuda[name], cpu[name], msg=lambda m, n=name: f"{n}: {m}")
