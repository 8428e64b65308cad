"""File checksums and plain serialization: seamlessflow gives Seamless's answer.

The Seamless side is seamless-core 0.1.4 itself: its `seamless-checksum` tool for
files, and `seamless.checksum.serialize` / `seamless.Buffer` for values.
"""

from __future__ import annotations

import gzip
import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seamless import Buffer
from seamless.checksum.calculate_checksum import calculate_dict_checksum
from seamless.checksum.serialize import serialize_sync

from seamlessflow.errors import SeamlessflowError
from seamlessflow.identity.checksum import checksum_value, plain_serialize

FILES = {
    "empty": b"",
    "binary.bin": bytes(range(256)) * 64 + b"\r\n\0\r",
    "large.dat": random.Random(8).randbytes(5 << 20),
    "text.txt": "héllo wörld ✓ 😀 日本語\r\nline two\n".encode(),
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_checksum_matches_seamless_checksum_tool(name, tmp_path, sf, seamless_tool):
    path = sf.work / name
    path.write_bytes(FILES[name])
    theirs = seamless_tool("seamless-checksum", path).strip()
    ours = sf("checksum", name).stdout
    assert ours == f"{theirs}  {name}\n"


def test_compressed_files_are_the_documented_difference(sf, seamless_tool):
    """Seamless hashes what a .gz file decompresses to; seamlessflow hashes the bytes on
    disk (docs/storage.md). Pin both halves so a change on either side is noticed."""
    content = b"some table\n" * 100
    path = sf.work / "table.csv.gz"
    path.write_bytes(gzip.compress(content))
    theirs = seamless_tool("seamless-checksum", path).strip()
    ours = sf("checksum", "table.csv.gz").stdout.split()[0]
    assert theirs == hashlib.sha256(content).hexdigest()
    assert ours == hashlib.sha256(path.read_bytes()).hexdigest()


VALUES = [
    {"naïve": "café", "日本": ["語", "😀"], "a": {"z": 1, "b": {"deep": [[], {}, [None]]}}},
    {"floats": [0.1, 1e-05, 0.00001234, 1e300, 5e-324, 1.7976931348623157e308, -0.0, 2.0,
                1 / 3, 123456789.123456789, 1e16, 1e-7]},
    {"ints": [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1]},
    {"bools": [True, False], "none": None, "empty": "", "nested": [[[[1]]]]},
    {"escapes": "quote\" backslash\\ tab\t newline\n nul\0 bell\x07 del\x7f \u2028 \ufeff"},
    {"B": 1, "a": 2, "_": 3, "é": 4, "e": 5, "10": 6, "9": 7, "": 8},
    [1, "two", 3.0, None, True, {"k": []}],
    "a top-level string",
    42,
    -1.5,
    None,
    {},
    [],
    {"not a number": float("nan"), "infinite": [float("inf"), float("-inf")]},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_plain_serialization_is_byte_identical(value):
    ours = plain_serialize(value)
    assert ours == serialize_sync(value, "plain", use_cache=False)
    assert checksum_value(value) == Buffer(value, celltype="plain").get_checksum().hex()
    if isinstance(value, dict):
        assert checksum_value(value) == calculate_dict_checksum(value)


json_values = st.recursive(
    st.none() | st.booleans() | st.text()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_plain_serialization_agrees_on_arbitrary_json(value):
    ours = plain_serialize(value)
    assert ours == serialize_sync(value, "plain", use_cache=False)
    assert Buffer(ours).get_value("plain") == value  # Seamless reads our bytes back


@pytest.mark.parametrize("value", [{"big": 2**64}, {"small": -(2**63) - 1}, {1: "int key"}])
def test_values_seamless_cannot_serialize_are_refused_with_a_message(value):
    with pytest.raises(TypeError):  # orjson.JSONEncodeError is a TypeError
        serialize_sync(value, "plain", use_cache=False)
    with pytest.raises(SeamlessflowError, match="cannot serialize value as plain JSON"):
        plain_serialize(value)
