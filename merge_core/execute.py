"""Running a plan: one output tensor at a time, inputs freed as soon as it is written.

CPU: the next tensor's pages are requested from the kernel (madvise WILLNEED) while the
current one is computed, and a writer thread streams results to disk, so reading,
math and writing overlap with only a couple of tensors alive.

CUDA: a loader thread copies each input through pinned host memory to the GPU on its own
stream, the math runs on a compute stream once the copy's event fires, the result comes
back asynchronously into pinned memory and the writer thread writes it after its event:
reads, host-device copies, compute and writes overlap, with at most two tasks' inputs
on the GPU.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .errors import MergeError, ModelError
from .lora import apply as apply_lora
from .method_kit.group import Group
from .method_kit.scratch import SCRATCH_BYTES, recycler, release_buffers
from .plan import Plan, Task, TaskKind


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    started: float = 0.0


def _fixed_mmap_threshold(size: int = 2 * SCRATCH_BYTES) -> None:
    """Have glibc serve every allocation above `size` with its own mapping, returned to the
    system when freed. By default glibc raises that threshold as large blocks are freed, so
    the freed tensors of one step stay in the heap and resident memory creeps up to a few
    tensors more than are alive (measured: 731 MB vs 458 MB peak on a 125M linear merge).
    The methods' per-chunk temporaries (SCRATCH_BYTES) stay below it, in the heap, which
    hands the same memory back chunk after chunk; a fresh mapping would cost a page fault
    per 4 KB every time (slerp ran 6x slower per element that way)."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, size)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


def _torch_dtype(name: str):
    import torch

    return getattr(torch, name)


class _Writer(threading.Thread):
    """Writes results in order; releases the inputs' pages once a result is on disk."""

    def __init__(self, writer, on_written: Callable[[Task], None]):
        super().__init__(daemon=True, name="mergelint-writer")
        self.writer = writer
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.on_written = on_written

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            task, tensor, event, release = item
            if self.error is not None:
                continue
            try:
                if event is not None:
                    event.synchronize()
                self.writer.write(task.name, tensor)
                del tensor
                for fn in release:
                    fn()
                self.on_written(task)
            except BaseException as e:  # noqa: BLE001 - handed to the main thread
                self.error = e

    def put(self, item) -> None:
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self.put(None)
        self.join()
        if self.error is not None:
            raise self.error


class Engine:
    def __init__(self, plan: Plan, *, device: str = "cpu", seed: int | None = None,
                 on_progress: Callable[[Progress], None] | None = None, mergekit_sort: bool = False,
                 watch: Callable | None = None):
        import torch

        self.plan = plan
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        if self.cuda and not torch.cuda.is_available():
            raise MergeError("--device cuda: no CUDA device is available (torch.cuda.is_available() is False)")
        _fixed_mmap_threshold()
        self.generator = None
        if seed is not None:
            self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.progress = Progress(total=len(plan.tasks), bytes_total=plan.write_bytes)
        self.on_progress = on_progress or (lambda p: None)
        self._lock = threading.Lock()
        self.mergekit_sort = mergekit_sort
        self.watch = watch  # watch(name, computed, result): run's verification, on the result while it is in cache

    # -- reading ----------------------------------------------------------------------------

    def _read_host(self, info):
        """A CPU tensor over the bytes of `info` (in the input's checkpoint or its adapter)."""
        try:
            return info.file.view(info)
        except ModelError:
            raise
        except (OSError, ValueError, RuntimeError) as e:
            raise ModelError(f"{info.file.path}: cannot read tensor {info.name}: {e}") from None

    def _stage(self, task: Task):
        """The task's inputs as (tensor, {patch part: tensor}) on the math device."""
        staged = []
        for inp in task.inputs:
            parts = {}
            if inp.patch is not None:
                for key in ("replace", "a", "b", "bias"):
                    info = getattr(inp.patch, key)
                    if info is not None:
                        parts[key] = self._to_device(self._read_host(info))
            staged.append((self._to_device(self._read_host(inp.info)), parts))
        return staged

    def _to_device(self, host):
        if not self.cuda:
            return host
        import torch

        pinned = torch.empty(host.shape, dtype=host.dtype, pin_memory=True)
        pinned.copy_(host)
        return pinned.to(self.device, non_blocking=True)

    def _prefetch(self, task: Task) -> None:
        for inp in task.inputs:
            for info in [inp.info, *(inp.patch.tensors if inp.patch else ())]:
                info.file.prefetch(info)

    def _early_release(self, task: Task):
        """Drop one input's pages once the math is done with it (CPU; the views stay valid)."""
        if self.cuda or task.truncate is not None or task.permute is not None:
            return None

        def release(index: int) -> None:
            inp = task.inputs[index]
            if inp.patch is None:
                inp.info.file.release(inp.info)

        return release

    def _releases(self, task: Task):
        return [lambda info=info: info.file.release(info)
                for inp in task.inputs for info in [inp.info, *(inp.patch.tensors if inp.patch else ())]]

    # -- math -------------------------------------------------------------------------------

    def _prepare(self, task: Task, staged):
        """Apply LoRA patches and the config's load dtype: the inputs mergekit's loader returns."""
        out = []
        for inp, (x, parts) in zip(task.inputs, staged):
            if inp.patch is not None:
                def read(info, parts=parts, patch=inp.patch):
                    for key in ("replace", "a", "b", "bias"):
                        if getattr(patch, key) is info:
                            return parts[key]
                    raise KeyError(info.name)

                x = apply_lora(inp.patch, x, read, inp.name, inp.model.label)
            if task.load_dtype is not None and str(x.dtype) != f"torch.{task.load_dtype}":
                x = x.to(_torch_dtype(task.load_dtype))
            out.append(x)
        return out

    def compute(self, task: Task, tensors):
        import torch

        if task.kind is TaskKind.BUFFER:
            first = tensors[0]
            if any(t.dtype != first.dtype or not torch.equal(t, first) for t in tensors[1:]):
                raise MergeError(
                    f"Non-floating buffer {task.name!r} differs between inputs; resolve it explicitly before merging"
                )
            result = first
        else:
            if task.truncate is not None:
                tensors = [t.narrow(0, 0, task.truncate) for t in tensors]
            if task.permute is not None:
                tensors = task.permute.apply(task, tensors)
            dtype = tensors[0].dtype
            for t in tensors[1:]:
                dtype = torch.promote_types(dtype, t.dtype)
            tensors = [t if t.dtype == dtype else t.to(dtype) for t in tensors]
            if task.kind is TaskKind.COPY:
                result = tensors[0]
            else:
                group = Group(task.name, tensors, task.base, task.per_input, self.generator, task.vocab_axis,
                              self.mergekit_sort, release=self._early_release(task))
                try:
                    result = self.plan.method.merge(group, task.shared)
                except (ValueError, RuntimeError) as e:
                    raise MergeError(f"{task.name}: {self.plan.method.name}: {e}") from None
        computed = result
        out = _torch_dtype(task.dtype)
        if result.dtype != out:
            result = result.to(out)
        if tuple(result.shape) != tuple(task.shape):
            raise MergeError(f"{task.name}: the merge produced shape {tuple(result.shape)}, expected {task.shape}")
        if self.watch is not None:
            self.watch(task.name, computed, result)
        return result

    def merged(self, task: Task):
        """One task's result on the CPU path: its inputs read, prepared and merged (the watch sees it)."""
        return self.compute(task, self._prepare(task, self._stage(task)))

    # -- driving ----------------------------------------------------------------------------

    def _written(self, task: Task) -> None:
        with self._lock:
            self.progress.done += 1
            self.progress.bytes_done += task.nbytes
        self.on_progress(self.progress)

    def run(self, writer) -> None:
        self.progress.started = time.monotonic()
        self.on_progress(self.progress)
        out = _Writer(writer, self._written)
        out.start()
        try:
            self._run(out)
        finally:  # after the writer is done: it hands results' memory back
            release_buffers()

    def _run(self, out: _Writer) -> None:
        import torch

        try:
            with torch.inference_mode():
                if self.cuda:
                    self._run_cuda(out)
                else:
                    self._run_cpu(out)
        except BaseException:
            out.error = out.error or RuntimeError("stopped")
            try:
                while True:  # drop pending results, then let the writer finish what it is doing
                    out.queue.get_nowait()
            except queue.Empty:
                pass
            out.queue.put(None)
            out.join(timeout=30)
            raise
        out.close()

    def _run_cpu(self, out: _Writer) -> None:
        tasks = self.plan.tasks
        if tasks:
            self._prefetch(tasks[0])
        for i, task in enumerate(tasks):
            if i + 1 < len(tasks):
                self._prefetch(tasks[i + 1])
            result = self.merged(task).contiguous()
            recycle = recycler(result)
            out.put((task, result, None, self._releases(task) + ([recycle] if recycle else [])))
            del result

    def _run_cuda(self, out: _Writer) -> None:
        import torch

        copy_stream = torch.cuda.Stream(self.device)
        compute_stream = torch.cuda.Stream(self.device)
        loaded: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()

        def loader():
            try:
                with torch.cuda.device(self.device), torch.cuda.stream(copy_stream):
                    for task in self.plan.tasks:
                        if stop.is_set():
                            return
                        self._prefetch(task)
                        staged = self._stage(task)
                        event = torch.cuda.Event()
                        event.record(copy_stream)
                        for release in self._releases(task):
                            release()  # the bytes are in pinned memory or on the GPU now
                        while not stop.is_set():
                            try:
                                loaded.put((task, staged, event), timeout=0.2)
                                break
                            except queue.Full:
                                continue
            except BaseException as e:  # noqa: BLE001
                loaded.put(e)
            else:
                loaded.put(None)

        thread = threading.Thread(target=loader, daemon=True, name="mergelint-loader")
        thread.start()
        try:
            with torch.cuda.device(self.device), torch.cuda.stream(compute_stream):
                while True:
                    item = loaded.get()
                    if item is None:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    task, staged, event = item
                    compute_stream.wait_event(event)
                    for x, parts in staged:
                        x.record_stream(compute_stream)
                        for p in parts.values():
                            p.record_stream(compute_stream)
                    result = self.compute(task, self._prepare(task, staged))
                    host = torch.empty(result.shape, dtype=result.dtype, pin_memory=True)
                    host.copy_(result, non_blocking=True)
                    done = torch.cuda.Event()
                    done.record(compute_stream)
                    del staged, result
                    out.put((task, host, done, []))
        finally:
            stop.set()
            try:
                while True:
                    loaded.get_nowait()
            except queue.Empty:
                pass
            thread.join(timeout=5)
