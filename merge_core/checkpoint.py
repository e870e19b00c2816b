"""Checkpoints on disk: where a model is, what tensors it has, and lazy reads of them.

Safetensors files are memory-mapped and each tensor is a zero-copy view of its
bytes; once the engine is done with a tensor it calls `release`, which tells the
kernel to drop those pages from this process (they stay in the page cache), so
resident memory holds only the tensors in flight, however large the model.
Headers are read as data: nothing from a model repository is ever executed.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import dataclass

from .errors import ModelError
from .inspect.safetensors import HeaderError, read_entries
from .language import SHARD_INDEX, SINGLE_SHARD
from .references import ModelPath

# safetensors dtype names -> (torch dtype name, bytes per element)
ST_DTYPES: dict[str, tuple[str, int]] = {
    "F64": ("float64", 8),
    "F32": ("float32", 4),
    "F16": ("float16", 2),
    "BF16": ("bfloat16", 2),
    "I64": ("int64", 8),
    "I32": ("int32", 4),
    "I16": ("int16", 2),
    "I8": ("int8", 1),
    "U8": ("uint8", 1),
    "BOOL": ("bool", 1),
    "F8_E4M3": ("float8_e4m3fn", 1),
    "F8_E5M2": ("float8_e5m2", 1),
}
TORCH_TO_ST = {v[0]: k for k, v in ST_DTYPES.items()}
ITEMSIZE = {v[0]: v[1] for v in ST_DTYPES.values()}


def nbytes(dtype: str, shape) -> int:
    """Bytes of a tensor of this safetensors dtype and shape."""
    n = ITEMSIZE[dtype]
    for d in shape:
        n *= d
    return n
FLOATING = {"float64", "float32", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2"}


@dataclass(frozen=True)
class TensorInfo:
    name: str
    dtype: str  # torch dtype name
    shape: tuple[int, ...]
    file: "SafetensorsFile | PickleFile"
    start: int  # absolute byte offsets in the file
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


class SafetensorsFile:
    """One .safetensors file: its header now, its tensors on demand."""

    def __init__(self, path: str):
        self.path = path
        self._mm: mmap.mmap | None = None
        self._fd: int | None = None
        try:  # the checker's header reader: every offset checked against the file's size
            entries, self.metadata, base, self.size = read_entries(path)
        except HeaderError as e:
            raise ModelError(f"{path}: {e}") from None
        except OSError as e:
            raise ModelError(f"{path}: cannot read: {e.strerror or e}") from None
        self.tensors: dict[str, TensorInfo] = {}
        for name, (info, begin, end) in entries.items():
            if info.dtype not in ST_DTYPES:
                raise ModelError(f"{path}: tensor {name}: unsupported dtype {info.dtype}")
            dtype = ST_DTYPES[info.dtype][0]
            self.tensors[name] = TensorInfo(name, dtype, info.shape, self, base + begin, base + end)

    def _map(self, tensor: str) -> mmap.mmap:
        if self._mm is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
                if os.fstat(self._fd).st_size < self.size:
                    raise ModelError(f"{self.path}: the file was truncated after its header was read "
                                     f"(reading tensor {tensor})")
                # ACCESS_COPY gives a writable (copy-on-write) view that torch accepts without
                # copying; nothing ever writes to it, so every page stays backed by the file.
                self._mm = mmap.mmap(self._fd, 0, access=mmap.ACCESS_COPY)
            except OSError as e:
                raise ModelError(f"{self.path}: cannot open (reading tensor {tensor}): {e.strerror or e}") from None
        return self._mm

    def view(self, info: TensorInfo):
        """A zero-copy CPU tensor over the tensor's bytes."""
        import torch

        mm = self._map(info.name)
        try:
            if os.fstat(self._fd).st_size < info.end:
                raise ModelError(f"{self.path}: file truncated while reading tensor {info.name}")
        except OSError as e:
            raise ModelError(f"{self.path}: cannot read tensor {info.name}: {e.strerror or e}") from None
        dtype = getattr(torch, info.dtype)
        if info.numel == 0:
            return torch.empty(info.shape, dtype=dtype)
        t = torch.frombuffer(mm, dtype=torch.uint8, count=info.nbytes, offset=info.start)
        return t.view(dtype).view(info.shape)

    def release(self, info: TensorInfo) -> None:
        """Drop the tensor's pages from this process (they stay in the page cache)."""
        if self._mm is None or info.nbytes == 0:
            return
        page = mmap.PAGESIZE
        start = info.start // page * page
        try:
            self._mm.madvise(mmap.MADV_DONTNEED, start, info.end - start)
        except (OSError, ValueError, AttributeError):
            pass

    def prefetch(self, info: TensorInfo) -> None:
        """Ask the kernel to start reading the tensor's pages (returns at once)."""
        if info.nbytes == 0:
            return
        try:
            mm = self._map(info.name)
            page = mmap.PAGESIZE
            start = info.start // page * page
            mm.madvise(mmap.MADV_WILLNEED, start, info.end - start)
        except (OSError, ValueError, AttributeError, ModelError):
            pass

    def close(self) -> None:
        # The mapping is not closed explicitly: tensors made by `view` hold a reference to it
        # (torch.frombuffer keeps its owner alive), and unmapping under them would leave them
        # dangling. Dropping our reference unmaps it once the last such tensor is gone.
        self._mm = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class PickleFile:
    """One pytorch_model*.bin file, loaded only when asked (`--allow-pickle`): with weights_only=True,
    so a pickle that would build anything but tensors is refused, and mmap=True, so its tensors stay
    file-backed pages until read. Offers SafetensorsFile's reading interface."""

    def __init__(self, path: str):
        import torch

        self.path = path
        try:
            self._state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except Exception as e:  # noqa: BLE001 - any failure is this file's fault
            raise ModelError(f"{path}: cannot load with weights_only=True: {e}") from None
        if not isinstance(self._state, dict):
            raise ModelError(f"{path}: holds a {type(self._state).__name__}, not a state dict of tensors")
        self.tensors: dict[str, TensorInfo] = {}
        for name, t in self._state.items():
            if not isinstance(t, torch.Tensor):
                raise ModelError(f"{path}: {name} is a {type(t).__name__}, not a tensor")
            self.tensors[name] = TensorInfo(name, str(t.dtype).removeprefix("torch."), tuple(t.shape), self, 0,
                                            t.numel() * t.element_size())

    def view(self, info: TensorInfo):
        return self._state[info.name]

    def release(self, info: TensorInfo) -> None:
        pass  # torch owns the mapping: its pages are file-backed and reclaimable

    def prefetch(self, info: TensorInfo) -> None:
        pass

    def close(self) -> None:
        self._state = {}


class Checkpoint:
    """The weights of one model folder: tensor name -> TensorInfo, over one or more shards."""

    def __init__(self, folder: str, label: str, allow_pickle: bool = False):
        self.folder = folder
        self.label = label
        self.files: list[SafetensorsFile | PickleFile] = []
        self.tensors: dict[str, TensorInfo] = {}
        index = os.path.join(folder, SHARD_INDEX)
        single = os.path.join(folder, SINGLE_SHARD)
        if os.path.exists(index):
            weight_map = _read_json(index).get("weight_map") or {}
            for shard in sorted(set(weight_map.values())):
                self._add(os.path.join(folder, shard))
        elif os.path.exists(single):
            self._add(single)
        else:
            others = sorted(f for f in os.listdir(folder) if f.endswith(".safetensors")
                            and not f.startswith("adapter_model"))
            if others:
                for f in others:
                    self._add(os.path.join(folder, f))
            else:
                bins = sorted(f for f in os.listdir(folder) if f.endswith(".bin") and "pytorch_model" in f)
                if not bins:
                    raise ModelError(f"{label}: no model.safetensors or pytorch_model.bin in {folder}")
                if not allow_pickle:
                    raise ModelError(
                        f"{label}: only pickle checkpoints ({', '.join(bins)}) in {folder}; pickle files can run "
                        "code when loaded. Convert them to safetensors, or pass --allow-pickle to load them "
                        "with torch.load(weights_only=True)"
                    )
                for b in bins:
                    self._add(os.path.join(folder, b), PickleFile)

    def _add(self, path: str, kind=SafetensorsFile) -> None:
        if not os.path.exists(path):
            raise ModelError(f"{self.label}: shard {path} listed in the index is missing")
        f = kind(path)
        self.files.append(f)
        for name, info in f.tensors.items():
            self.tensors.setdefault(name, info)

    def close(self) -> None:
        for f in self.files:
            f.close()


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        raise ModelError(f"{path}: cannot read: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ModelError(f"{path}: expected a JSON object")
    return data


def read_json(path: str) -> dict:
    return _read_json(path)


HUB_PATTERNS = ["*.json", "*.safetensors", "tokenizer.model", "*.txt", "*.jinja", "*.tiktoken"]


def locate(path: ModelPath, what: str, *, online: bool, allow_pickle: bool = False) -> str:
    """A local folder for a model or adapter path, found as the checker finds it
    (merge_core.inspect: a folder relative to the working directory, as mergekit resolves
    it, then the Hugging Face cache). With `online`, a Hub repository that is not cached is
    downloaded (config, tokenizer and safetensors files; pickle weights only with allow_pickle).
    """
    from .inspect import Inspector

    res = Inspector(online=False).resolve(path)
    folder = res.facts.directory if res.facts is not None else None
    # `check --online` (and the lint before `run --online`) puts only a repository's small JSON
    # files into the Hugging Face cache: a snapshot without its weights is not a model folder yet.
    partial = res.ok and bool(folder) and res.facts.where == "cache" and _weights_missing(res.facts, folder)
    if res.ok and folder and os.path.isdir(folder) and not partial:
        return folder
    if res.status != "not-cached" and not partial:
        raise ModelError(f"{what} {path}: {res.message or res.status}")
    if not online:
        why = "its weights are not in the Hugging Face cache" if partial else res.message
        raise ModelError(f"{what} {path}: {why} (pass --online to download it)")
    try:
        import huggingface_hub
    except ImportError:
        raise ModelError(f"{what} {path}: downloading needs huggingface_hub (pip install huggingface_hub)") from None
    patterns = HUB_PATTERNS + (["*.bin"] if allow_pickle else [])
    try:
        return huggingface_hub.snapshot_download(path.path, revision=path.revision, allow_patterns=patterns)
    except Exception as e:  # noqa: BLE001 - the hub raises many kinds
        raise ModelError(f"{what} {path}: cannot download: {type(e).__name__}: {e}") from None


def _weights_missing(facts, folder: str) -> bool:
    names = list(facts.weight_files)
    if facts.adapter is not None and facts.adapter.tensor_file:
        names.append(facts.adapter.tensor_file)
    return any(not os.path.exists(os.path.join(folder, n)) for n in names)
