"""## What it does
Compares each layer's tensor with the same tensor of the other layers (`mlp.down_proj.weight`
of layer 7 against `mlp.down_proj.weight` of every layer): a tensor whose norm is far from
its siblings' is reported with how far, as a ratio to their median and in robust deviations.

The statistics are robust, and each tensor is measured against the other layers only, so
one bad layer cannot hide itself by moving the average: the median of the other layers'
log-norms, and their median absolute deviation (MAD, scaled by
1.4826 to estimate a standard deviation, and floored at 5% so that layers that happen to be
nearly identical do not turn noise into alarms). A tensor is an outlier only when both hold:
it is at least 8 robust deviations from the median, and its norm is at least 4x (or at most
1/4) the median, 16x for one-dimensional tensors (norms and biases, which drift more across
depth in healthy models). A tensor that is all zeros while its siblings are not is reported
too. Tensors with NaN or Inf are left to `nonfinite-values`; stacks of fewer than 4 layers
are not compared.

## Why is this bad?
A norm ten times its siblings' is the signature of a merge weight applied twice, a weight
of 10 where 1.0 was meant, a layer taken from another model, or an overflow just short of
Inf. The model still loads and runs; its outputs are quietly wrong.
"""

import math
from statistics import median

from .check import Check, Finding
from .layout import stacks

CHECK = Check("MV106", "norm-outlier", "warning", "A tensor's norm is far from the same tensor's in the other layers")
MIN_LAYERS = 4
MIN_DEVIATIONS = 8.0
MATRIX_RATIO = 4.0
VECTOR_RATIO = 16.0  # norms and biases drift more across depth
MAD_FLOOR = math.log(1.05)


def run(folder, stats):
    for stack in stacks(folder.tensors):
        roles: dict[str, dict[int, str]] = {}
        for index, layer in stack.layers.items():
            for rest, name in layer.items():
                roles.setdefault(rest, {})[index] = name
        for rest, by_layer in sorted(roles.items()):
            norms = {i: stats[n].norm for i, n in by_layer.items() if n in stats and not stats[n].nonfinite}
            if len(norms) < MIN_LAYERS:
                continue
            yield from _outliers(folder, stack, rest, by_layer, norms)


def _outliers(folder, stack, rest, by_layer, norms):
    vector = len(folder.tensors[next(iter(by_layer.values()))].shape) <= 1
    limit = math.log(VECTOR_RATIO if vector else MATRIX_RATIO)
    logs = {i: math.log(n) for i, n in norms.items() if n > 0}
    for i in sorted(norms):
        # Against the other layers only: the tensor under test must not move its own yardstick.
        others = [v for j, v in logs.items() if j != i]
        if len(others) < len(norms) // 2 + 1:  # mostly zero tensors: nothing to compare with
            return
        mid = median(others)
        scale = max(1.4826 * median(abs(v - mid) for v in others), MAD_FLOOR)
        name = by_layer[i]
        where = f"{stack.prefix}N.{rest} in the other {len(norms) - 1} layers"
        if norms[i] == 0:
            yield Finding(CHECK, folder.shard_of(name), f"{name} is all zeros while {where} is not (median norm "
                          f"{math.exp(mid):.4g}): a merge weight of 0?")
            continue
        distance = logs[i] - mid
        if abs(distance) >= limit and abs(distance) / scale >= MIN_DEVIATIONS:
            ratio = math.exp(distance)
            how = f"{ratio:.3g}x" if ratio >= 1 else f"1/{1 / ratio:.3g}"
            yield Finding(CHECK, folder.shard_of(name), f"{name} has norm {norms[i]:.4g}, {how} the median "
                          f"{math.exp(mid):.4g} of {where} ({abs(distance) / scale:.0f} robust deviations): a bad "
                          "merge weight or an overflow?")
