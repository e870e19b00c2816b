"""Safetensors headers, read as data and checked before anything trusts them.

A safetensors file is an 8-byte little-endian header length, a JSON header
(`{name: {dtype, shape, data_offsets}, "__metadata__": {...}}`), then the tensor
bytes. Only the header is ever read. A header that lies (a length past the end
of the file, a tensor whose offsets lie outside the data, a shape that does not
fit its bytes) raises HeaderError with what is wrong; nothing is allocated from
a size the file claims before it has been checked against the file's real size.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from typing import NamedTuple

# Bits per element. Sub-byte types (F4, F6) pack elements; sizes round up to bytes.
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}
# The safetensors library refuses headers above 100 MB; so do we.
MAX_HEADER = 100_000_000


class HeaderError(ValueError):
    """The header cannot be trusted; the message says why (without the file name)."""


class TensorInfo(NamedTuple):
    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int | None:
        bits = DTYPE_BITS.get(self.dtype)
        return None if bits is None else (self.numel * bits + 7) // 8


def human_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} bytes"  # pragma: no cover


def header_length(prefix: bytes, file_size: int | None) -> int:
    """The JSON header's length from the first 8 bytes, checked against the file size."""
    if len(prefix) < 8:
        raise HeaderError(f"truncated: {len(prefix)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", prefix[:8])
    if n == 0:
        raise HeaderError("the header length is 0: not a safetensors file")
    if file_size is not None and n > file_size - 8:
        raise HeaderError(
            f"the header claims {human_bytes(n)} but the file holds only {human_bytes(file_size)}: truncated or not a safetensors file"
        )
    if n > MAX_HEADER:
        raise HeaderError(f"the header claims {human_bytes(n)}, over the {human_bytes(MAX_HEADER)} limit: corrupt")
    return n


class Entry(NamedTuple):
    """A tensor's header entry, checked: its dtype and shape, and where its bytes lie
    (offsets from the start of the data, which follows the header)."""

    info: TensorInfo
    start: int
    end: int


def parse_header(raw: bytes, data_size: int | None) -> tuple[dict[str, TensorInfo], dict]:
    """Tensors and `__metadata__` from the JSON header. `data_size`: bytes after the header, if known."""
    entries, metadata = parse_entries(raw, data_size)
    return {name: e.info for name, e in entries.items()}, metadata


def parse_entries(raw: bytes, data_size: int | None) -> tuple[dict[str, Entry], dict]:
    """parse_header, with each tensor's data offsets."""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise HeaderError(f"the header is not valid JSON ({_short(e)}): corrupt or truncated") from None
    if not isinstance(header, dict):
        raise HeaderError("the header is not a JSON object: corrupt")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not isinstance(metadata, dict):
        raise HeaderError("__metadata__ is not an object: corrupt")
    entries: dict[str, Entry] = {}
    for name, entry in header.items():
        entries[name] = _entry(name, entry, data_size)
    return entries, metadata or {}


def _entry(name: str, entry: object, data_size: int | None) -> Entry:
    # `type(x) is int` also refuses booleans; this runs once per tensor, so it stays lean.
    if type(entry) is not dict:
        raise HeaderError(f"tensor {name!r}: entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if type(dtype) is not str:
        raise HeaderError(f"tensor {name!r}: no dtype")
    if type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape):
        raise HeaderError(f"tensor {name!r}: shape {shape!r} is not a list of non-negative integers")
    if (
        type(offsets) is not list
        or len(offsets) != 2
        or type(offsets[0]) is not int
        or type(offsets[1]) is not int
        or not 0 <= offsets[0] <= offsets[1]
    ):
        raise HeaderError(f"tensor {name!r}: data_offsets {offsets!r} are not [start, end]")
    info = TensorInfo(dtype, tuple(shape))
    span = offsets[1] - offsets[0]
    bits = DTYPE_BITS.get(dtype)
    if bits is not None and (math.prod(shape) * bits + 7) // 8 != span:
        raise HeaderError(
            f"tensor {name!r}: shape {shape} of {dtype} needs {human_bytes(info.nbytes)} "
            f"but its data_offsets span {human_bytes(span)}"
        )
    if data_size is not None and offsets[1] > data_size:
        raise HeaderError(
            f"tensor {name!r} claims {human_bytes(span)} at offset {offsets[0]} but the file holds only "
            f"{human_bytes(data_size)} of tensor data: truncated or corrupt"
        )
    return Entry(info, offsets[0], offsets[1])


def _short(e: Exception) -> str:
    text = str(e)
    return text if len(text) <= 80 else text[:77] + "..."


def read_header(path: str) -> tuple[dict[str, TensorInfo], dict]:
    """Read and check the header of a local safetensors file. Raises HeaderError or OSError."""
    entries, metadata, _, _ = read_entries(path)
    return {name: e.info for name, e in entries.items()}, metadata


def read_entries(path: str) -> tuple[dict[str, Entry], dict, int, int]:
    """read_header with each tensor's offsets, plus where the data starts and the file's size."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block open(); a directory cannot be read
        raise HeaderError("not a regular file")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        n = header_length(f.read(8), size)
        raw = f.read(n)
    if len(raw) < n:  # the file shrank while we read it
        raise HeaderError(f"truncated: the header claims {human_bytes(n)}, only {human_bytes(len(raw))} could be read")
    entries, metadata = parse_entries(raw, size - 8 - n)
    return entries, metadata, 8 + n, size
