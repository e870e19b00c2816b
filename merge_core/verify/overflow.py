"""## What it does
Reports each tensor of a merge output whose merged values went past the range
of the output dtype before the cast (`|x| > torch.finfo(out_dtype).max` in the float32 or
bfloat16 result, 65504 for float16), with how many values: the cause of the Inf that
`nonfinite-values` reports in the same tensor. In `mergelint run` it is measured as the engine
produces each tensor, before the cast, and only when the cast result holds Inf (so a healthy merge pays
nothing for it); values just past the largest value that round down to it instead of to Inf
are not counted.

`mergelint verify DIR` sees the values after the cast, where an overflowed value is an Inf
like any other; so each float16 (or other narrow) tensor that holds Inf is merged again from the
inputs its saved config names (`mergekit_config.yml`, written by `run` and by mergekit), before
the cast, and the same count is made. Where that config is absent or its models are not at hand
(relative paths resolve from the current folder), the Inf is reported by `nonfinite-values`
alone. A method that draws random numbers (dare, della) draws afresh: the count is that of an
equivalent merge.

## Why is this bad?
float16's largest value is 65504: a sum of weights above 1, a `lambda` that amplifies or a
task vector added to itself can go past it, and the cast turns those values into Inf, and
the first activation through them into NaN. The merge "succeeded".

Use instead: `out_dtype: bfloat16` (bfloat16 has float32's range) or `float32`, or weights
that do not amplify.
"""

from .check import Check, Finding

CHECK = Check("MV109", "dtype-overflow", "error", "Merged values were past the output dtype's range before the cast")


def run(folder, stats):
    for name, s in stats.items():
        if s.overflow:
            dtype = folder.tensors[name].dtype
            yield Finding(CHECK, folder.shard_of(name), f"{name}: {s.overflow} of {s.numel} values of the merged "
                          f"{s.computed_dtype} result were past the range of the output dtype {dtype} before the cast, "
                          "which made them Inf (use out_dtype: bfloat16 or float32)")
