"""A plan's resource figures, from headers alone: bytes read and written, peak memory, disk, time.

Peak memory follows how merge_core.execute holds tensors on CPU: inputs are memory-mapped and
count as resident once read. A method that makes a new tensor drops each input's pages as soon as
its math is done with it (Engine._early_release), and its result lives in memory the writer hands
back for later results (method_kit/scratch.py keeps KEEP_RESULTS of them). A copy or a passthrough
hands the writer a view of its input, whose pages are first touched by the writer (one tensor at a
time). Inputs that the math reads but cannot drop early (casts, applied LoRAs) stay until written:
with the writer writing one result and one more waiting in its queue, up to IN_FLIGHT tasks' worth.
Casts, applied LoRAs and the task-vector methods' whole-tensor buffers come on top, and under it
all the process itself (Python, torch, mergelint): BASE_RSS. bench/bench_plan.py measures it.

On CUDA the loader keeps at most two tasks' inputs on the GPU, with the result beside them,
in a CUDA context of about CUDA_CONTEXT bytes.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from . import throughput
from .checkpoint import ITEMSIZE
from .method_kit.scratch import KEEP_RESULTS
from .method_kit.spec import MergeMethod
from .plan import Plan, Task, TaskKind

BASE_RSS = 230 << 20  # `mergelint run` before its first tensor: Python, torch, safetensors (measured)
CUDA_CONTEXT = 512 << 20  # what torch's CUDA context and allocator take before the first tensor
STARTUP_SECONDS = 2.5  # `run` before the merge starts: Python, torch, the lint, opening the checkpoints
SMALL_FILES = 1 << 20  # config.json, model card, index and tokenizer allowance beyond the donor's files
IN_FLIGHT = 3  # tasks whose inputs are mapped at once on CPU: writing, queued, computing


@dataclass
class Totals:
    """Every figure None when it cannot be known (models not found): never a guess."""

    read_bytes: int | None = None
    write_bytes: int | None = None
    peak_memory_bytes: int | None = None
    peak_gpu_bytes: int | None = None
    disk_bytes: int | None = None
    seconds: float | None = None
    throughput: float | None = None  # bytes/s that `seconds` assumes
    throughput_measured: bool = False  # False: throughput.DEFAULT, no run measured it here yet

    def as_json(self) -> dict:
        return asdict(self)


def _work_dtype(task: Task) -> str:
    return task.load_dtype or task.inputs[0].info.dtype


def _elements(task: Task) -> int:
    count = 1
    for d in task.shape:
        count *= d
    return count


def _new_result(task: Task, method: MergeMethod) -> bool:
    """The math makes a new tensor (in scratch.result's pooled memory), as does applying a LoRA;
    a method of one input (passthrough) and copies hand their input's mapped view to the writer."""
    return (task.kind is TaskKind.MERGE and method.contract.max != 1) or any(inp.patch for inp in task.inputs)


def _released_early(task: Task, method: MergeMethod) -> bool:
    """execute.Engine._early_release: the math drops each input's pages once it is done with it."""
    return (_new_result(task, method) and task.truncate is None and task.permute is None
            and all(inp.patch is None for inp in task.inputs))


def _held_until_written(task: Task, method: MergeMethod) -> bool:
    """The math read the inputs (so their pages are resident) and did not drop them: they stay
    until the writer is done. A plain copy's pages are first touched by the writer itself."""
    return not _released_early(task, method) and (_new_result(task, method) or _working(task, method) > 0)


def _working(task: Task, method: MergeMethod) -> int:
    """Bytes the math allocates beyond the mapped inputs and the pooled result: cast copies of
    inputs (the config's dtype; a LoRA's float32 delta and sum), the result's cast to the out dtype, and the
    task-vector methods' whole-tensor buffers (one task vector per non-base input and one
    magnitude or mask buffer, method_kit/gta.py and sparsify.py)."""
    count, work = _elements(task), _work_dtype(task)
    size = count * ITEMSIZE.get(work, 4)
    lora = 2 * count * ITEMSIZE["float32"]  # lora.apply's delta and patched weight, float32 buffers
    extra = sum(lora if inp.patch is not None else size for inp in task.inputs
                if inp.patch is not None or (task.load_dtype and inp.info.dtype != task.load_dtype))
    if task.dtype != work:
        extra += task.nbytes
    if task.kind is TaskKind.MERGE and method.stacks_task_vectors:
        extra += len(task.inputs) * size
    return extra


def peak_memory(plan: Plan) -> int:
    tasks, method = plan.tasks, plan.method
    window = 0
    for i, task in enumerate(tasks):
        waiting = sum(t.read_bytes for t in tasks[max(0, i - IN_FLIGHT + 1):i] if _held_until_written(t, method))
        window = max(window, waiting + task.read_bytes + _working(task, method))
    pool = sum(sorted((t.nbytes for t in tasks if _new_result(t, method)), reverse=True)[:KEEP_RESULTS])
    return BASE_RSS + window + pool


def peak_gpu(plan: Plan) -> int:
    tasks = plan.tasks
    peak = 0
    for i, task in enumerate(tasks):
        staged = sum(t.read_bytes for t in tasks[max(0, i - 1):i + 1])
        peak = max(peak, staged + _working(task, plan.method) + task.nbytes)
    return CUDA_CONTEXT + peak


def _donor_files(plan: Plan) -> int:
    from .run import TAGALONG_FILES, TOKENIZER_FILES

    total = 0
    for name in TOKENIZER_FILES + TAGALONG_FILES:
        path = os.path.join(plan.donor.folder, name)
        if os.path.isfile(path):
            total += os.path.getsize(path)
    return total


def estimate(plan: Plan, *, device: str, shard_size: int) -> tuple[Totals, int]:
    """The plan's totals on `device`, and how many shards the output has."""
    from .write import Entry, ShardWriter

    writer = ShardWriter("", [Entry(t.name, t.shape, t.dtype) for t in plan.tasks], shard_size)
    write = sum(writer.file_sizes().values())
    read = plan.read_bytes
    speed, measured = throughput.known(device, plan.method.name)
    cuda = throughput.kind(device) == "cuda"
    totals = Totals(
        read_bytes=read,
        write_bytes=write,
        peak_memory_bytes=peak_memory(plan),  # on CUDA the pinned copies replace the mapped pages
        peak_gpu_bytes=peak_gpu(plan) if cuda else 0,
        disk_bytes=write + _donor_files(plan) + SMALL_FILES,
        seconds=STARTUP_SECONDS + (read + write) / speed,
        throughput=speed,
        throughput_measured=measured,
    )
    return totals, len(writer.shards)
