"""## What it does
Counts NaN and infinite values in every floating-point tensor and names each tensor that
has any, with how many of each kind.

## Why is this bad?
One NaN in a weight turns every activation it touches into NaN: the model generates
nothing useful, yet loads without a warning. The usual cause is an overflow: a merge
computed or saved in float16 (largest value 65504) whose result grew past that range,
or a division by a near-zero norm.

Use instead: merge in float32 or bfloat16 (`dtype: bfloat16`), or check the weights that
scale the merge (a `weight` far above 1, a `lambda` that amplifies).
"""

from .check import Check, Finding

CHECK = Check("MV101", "nonfinite-values", "error", "A tensor holds NaN or infinite values")


def run(folder, stats):
    for name, s in stats.items():
        if not s.nonfinite:
            continue
        kinds = [f"{n} {label}" for n, label in ((s.nan, "NaN"), (s.posinf, "+Inf"), (s.neginf, "-Inf")) if n]
        yield Finding(CHECK, folder.shard_of(name), f"{name} holds {', '.join(kinds)} of {s.numel} values "
                      "(an overflow: merge in float32 or bfloat16)")
