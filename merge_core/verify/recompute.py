"""`verify DIR`'s view of the values before the cast: an output tensor of a narrow dtype that
holds Inf is merged again, in the computation's own dtype, from the inputs its saved config
names (`mergekit_config.yml`, as `run` and mergekit write it), and `Watch` counts the values
past the output dtype's range, as it does in `run`. Only those tensors are merged; nothing is
done when the config is absent or its models are not at hand (relative paths resolve from the
current folder, as for `run`). Methods that draw random numbers draw afresh, so their count is
that of an equivalent merge, not of the same one.
"""

from __future__ import annotations

import dataclasses

from ..checkpoint import FLOATING
from ..errors import MergeError
from .files import saved_config
from .stream import Stats, Watch

NARROW = FLOATING - {"float32", "float64"}  # the dtypes a float32 result can overflow


def measure_overflow(folder, stats: dict[str, Stats], allow_pickle: bool = False) -> None:
    """Set `overflow` on the stats of the folder's Inf-holding tensors when their inputs can be read."""
    suspects = {name for name, s in stats.items() if (s.posinf or s.neginf) and folder.tensors[name].dtype in NARROW}
    text = saved_config(folder) if suspects else None
    if text is None:
        return
    import torch

    from ..execute import Engine
    from ..run import Options, build_plan

    try:
        plan = build_plan(text, Options(allow_pickle=allow_pickle))
    except (MergeError, OSError, ValueError):
        return  # the inputs are not at hand: the Inf stays only a likely overflow
    watch = Watch()
    try:
        engine = Engine(plan, watch=watch)
        with torch.inference_mode():
            for task in plan.tasks:
                if task.name in suspects:  # cast to the dtype the folder holds, whatever the config said
                    engine.merged(dataclasses.replace(task, dtype=folder.tensors[task.name].dtype))
    except (MergeError, OSError, ValueError, RuntimeError):
        return
    finally:
        for model in plan.models.values():
            model.close()
    for name, measured in watch.stats.items():
        stats[name].overflow, stats[name].computed_dtype = measured.overflow, measured.computed_dtype
