"""The safetensors header reader never trusts a size it has not checked, and never raises anything but HeaderError."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from merge_core.inspect.safetensors import MAX_HEADER, HeaderError, TensorInfo, header_length, parse_header, read_header


def _file(tmp_path, data: bytes):
    path = tmp_path / "x.safetensors"
    path.write_bytes(data)
    return str(path)


def _pack(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_a_valid_header(tmp_path):
    header = {"a": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]}, "__metadata__": {"format": "pt"}}
    tensors, metadata = read_header(_file(tmp_path, _pack(header, b"\0" * 12)))
    assert tensors == {"a": TensorInfo("BF16", (2, 3))} and metadata == {"format": "pt"}
    assert tensors["a"].nbytes == 12


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\1\2\3", "shorter than the 8-byte header length"),
        (struct.pack("<Q", 0), "header length is 0"),
        (struct.pack("<Q", 10**9) + b"{}", "but the file holds only"),
        (struct.pack("<Q", 4) + b"{no}", "not valid JSON"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
        (_pack({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}, b"\0" * 8), "needs 16 bytes"),
        (_pack({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}), "non-negative integers"),
        (_pack({"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}), "are not [start, end]"),
        (_pack({"a": {"dtype": "F32", "shape": [250_000_000_000], "data_offsets": [0, 10**12]}}), "claims 1.0 TB"),
        (_pack({"a": "x"}), "not an object"),
        (_pack({"__metadata__": [1]}), "__metadata__ is not an object"),
    ],
)
def test_lies_are_caught(tmp_path, data, message):
    with pytest.raises(HeaderError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_header(_file(tmp_path, data))


def test_the_length_is_checked_before_reading():
    with pytest.raises(HeaderError, match="over the"):
        header_length(struct.pack("<Q", MAX_HEADER + 1), None)  # a remote file of unknown size


def test_sub_byte_and_unknown_dtypes():
    assert TensorInfo("F4", (3,)).nbytes == 2
    tensors, _ = parse_header(json.dumps({"a": {"dtype": "X9", "shape": [3], "data_offsets": [0, 5]}}).encode(), 5)
    assert tensors["a"].nbytes is None  # an unknown dtype is kept, its size unchecked


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes(data):
    try:
        n = header_length(data[:8], len(data))
        parse_header(data[8 : 8 + n], len(data) - 8 - n)
    except HeaderError:
        pass


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.fixed_dictionaries({"dtype": _values, "shape": _values, "data_offsets": _values}) | _values, max_size=4))
def test_random_headers(header):
    try:
        parse_header(json.dumps(header).encode(), 1000)
    except HeaderError:
        pass
