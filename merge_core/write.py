"""Safetensors shards written as the tensors arrive, with an index.

The plan knows every output tensor's name, shape and dtype before the first one is
computed, so each shard's header is written when the shard is opened and tensors
are then streamed to disk one after the other: no shard is ever held in memory.
Shards split as mergekit's writer does: a tensor that would push the current
shard over the limit starts the next one. One shard is `model.safetensors`;
several are `model-0000k-of-0000n.safetensors` plus `model.safetensors.index.json`.
"""

from __future__ import annotations

import json
import os
import re
import struct
from dataclasses import dataclass

from .checkpoint import TORCH_TO_ST, nbytes
from .errors import MergeError
from .language import SHARD_INDEX, SINGLE_SHARD

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 10**9, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_KMB = {"k": 10**3, "m": 10**6, "b": 10**9}
NO_LIMIT = 2**63 - 1  # a size of 0 or less: everything in one shard, as mergekit's writer does


def _kmb(text: str) -> int:
    """mergekit 0.1.5's parse_kmb to the letter, so what its users type means the same bytes:
    digits, or an integer with k, m or b (10**3, 10**6, 10**9)."""
    if text.isnumeric():
        return int(text)
    factor = _KMB.get(text[-1:].lower())
    if factor is None:
        raise ValueError(text)
    return int(text[:-1]) * factor


def parse_size(text: str | int) -> int:
    """Bytes from mergekit's syntax ('5B' is 5e9, '500M', '1000000') or from '5GB', '500MB', '2GiB', '1.5GB'."""
    if isinstance(text, int):
        value = text
    else:
        try:
            value = _kmb(str(text))
        except ValueError:
            m = _SIZE.match(str(text))
            unit = (m.group(2) or "").lower() if m else None
            if not m or unit not in _UNITS:
                raise ValueError(f"not a size: {text!r} (write e.g. 5GB, 500MB, 2GiB, mergekit's 5B "
                                 "or a number of bytes)") from None
            value = int(float(m.group(1)) * _UNITS[unit])
    return value if value > 0 else NO_LIMIT


@dataclass
class Entry:
    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def nbytes(self) -> int:
        return nbytes(self.dtype, self.shape)


class ShardWriter:
    def __init__(self, folder: str, entries: list[Entry], max_shard_bytes: int, metadata: dict | None = None):
        self.folder = folder
        self.metadata = {"format": "pt", **(metadata or {})}
        shards: list[list[Entry]] = [[]]
        size = 0
        for e in entries:
            if shards[-1] and size + e.nbytes > max_shard_bytes:
                shards.append([])
                size = 0
            shards[-1].append(e)
            size += e.nbytes
        n = len(shards)
        self.shards = [((SINGLE_SHARD if n == 1 else f"model-{k + 1:05d}-of-{n:05d}.safetensors"), s)
                       for k, s in enumerate(shards)]
        self._order = [(file, e) for file, s in self.shards for e in s]
        self._next = 0
        self._file = None
        self._remaining = 0
        self.total = sum(e.nbytes for e in entries)

    def _header(self, entries: list[Entry]) -> bytes:
        header: dict = {"__metadata__": self.metadata}
        offset = 0
        for e in entries:
            header[e.name] = {"dtype": TORCH_TO_ST[e.dtype], "shape": list(e.shape),
                              "data_offsets": [offset, offset + e.nbytes]}
            offset += e.nbytes
        raw = json.dumps(header, separators=(",", ":")).encode()
        return struct.pack("<Q", len(raw) + (-len(raw) % 8)) + raw + b" " * (-len(raw) % 8)

    def file_sizes(self) -> dict[str, int]:
        """Each shard's size on disk, known before anything is written (the plan's write_bytes)."""
        return {file: len(self._header(s)) + sum(e.nbytes for e in s) for file, s in self.shards}

    def _open(self, file: str, entries: list[Entry]) -> None:
        path = os.path.join(self.folder, file)
        try:
            self._file = open(path, "wb", buffering=0)
            self._file.write(self._header(entries))
        except OSError as e:
            raise MergeError(f"cannot write {path}: {e.strerror or e}") from None
        self._path = path
        self._remaining = len(entries)

    def write(self, name: str, tensor) -> None:
        """Append the next tensor (a contiguous CPU tensor); tensors come in plan order."""
        import torch

        if self._next >= len(self._order):
            raise MergeError(f"internal error: unexpected tensor {name}")
        file, entry = self._order[self._next]
        if entry.name != name:
            raise MergeError(f"internal error: wrote {name} where {entry.name} was due")
        if tuple(tensor.shape) != tuple(entry.shape) or str(tensor.dtype).removeprefix("torch.") != entry.dtype:
            raise MergeError(
                f"tensor {name}: the merge produced {tuple(tensor.shape)} {tensor.dtype}, "
                f"the plan expected {entry.shape} {entry.dtype}"
            )
        if self._file is None:
            self._open(file, next(s for f, s in self.shards if f == file))
        if tensor.numel():
            data = tensor.detach().contiguous().reshape(-1).view(torch.uint8).numpy()
            try:
                view = memoryview(data)
                while len(view):
                    written = self._file.write(view)
                    view = view[written:]
            except OSError as e:
                raise MergeError(f"writing tensor {name} to {self._path}: {e.strerror or e}") from None
        self._next += 1
        self._remaining -= 1
        if self._remaining == 0:
            self._close()

    def _close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as e:
                raise MergeError(f"closing {self._path}: {e.strerror or e}") from None
            self._file = None

    def finish(self, extra_metadata: dict | None = None) -> list[str]:
        if self._next != len(self._order):
            raise MergeError(f"internal error: {len(self._order) - self._next} tensors were never written")
        self._close()
        if not self._order:  # nothing to write: still a valid (empty) checkpoint
            self._open(SINGLE_SHARD, [])
            self._close()
        files = [f for f, _ in self.shards]
        if len(self.shards) > 1:
            index = {
                "metadata": {"total_size": self.total, **(extra_metadata or {})},
                "weight_map": {e.name: f for f, e in self._order},
            }
            with open(os.path.join(self.folder, SHARD_INDEX), "w", encoding="utf-8") as fh:
                json.dump(index, fh, indent=2)
                fh.write("\n")
        return files

    def abort(self) -> None:
        try:
            self._close()
        except MergeError:
            pass
