"""`mergelint run` refuses parameter values that mergekit would turn into NaN weights or fail on."""

import pytest
from click.testing import CliRunner

from mergelint.cli import main


@pytest.mark.parametrize(
    "weight",
    [".nan", ".inf", "-.inf", "[0.2, .nan]", "[{filter: mlp, value: .inf}, {value: 0.5}]", "2" + "0" * 308],
    ids=["nan", "inf", "-inf", "nan-in-gradient", "inf-in-filter", "309-digits"],
)
def test_run_refuses_a_weight_that_is_not_a_finite_number(zoo, tmp_path, weight):
    config = tmp_path / "merge.yml"
    config.write_text(
        "merge_method: linear\ndtype: float32\nmodels:\n"
        f"  - model: {zoo.a}\n    parameters:\n      weight: {weight}\n"
        f"  - model: {zoo.b}\n    parameters:\n      weight: 0.5\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(config), str(out)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "invalid-value" in result.output and "not merging" in result.output
    assert "internal error" not in result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["merge.yml"]
