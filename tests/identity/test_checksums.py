"""Checksums agree with independent implementations (the sha256sum tool, hashlib+json)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

import pytest

from seamlessflow.identity.checksum import (
    checksum_bytes,
    checksum_fd,
    checksum_file,
    checksum_value,
)


def sha256sum(path) -> str:
    out = subprocess.run(["sha256sum", str(path)], check=True, capture_output=True, text=True)
    return out.stdout.split()[0]


# sizes around the one-read limit (64 KiB) and the 1 MiB chunk
@pytest.mark.parametrize("data", [b"", b"hello\n", bytes(range(256)) * 4099, "é€\n".encode(),
                                  b"s" * 65536, b"t" * 65537, b"u" * (1 << 21)])
def test_file_and_bytes_checksums_equal_sha256sum(tmp_path, data):
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert checksum_file(path) == sha256sum(path)
    assert checksum_bytes(data) == sha256sum(path)


@pytest.mark.parametrize("stale_size", [0, 5, 7, 65537])
def test_a_file_that_changed_size_since_its_stat_is_hashed_whole(tmp_path, stale_size):
    """The size given with an open file is what fstat said a moment ago: the file may
    have grown or shrunk since, and the checksum must be of what is there now."""
    path = tmp_path / "f.bin"
    path.write_bytes(b"grown since the stat\n")
    fd = os.open(path, os.O_RDONLY)
    try:
        assert checksum_fd(fd, stale_size) == sha256sum(path)
    finally:
        os.close(fd)


def test_value_checksum_is_sha256_of_sorted_indented_utf8_json():
    value = {"b": ["x", "ü"], "a": {"z": "1", "y": "naïve"}}
    expected_bytes = (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
    assert checksum_value(value) == hashlib.sha256(expected_bytes.encode()).hexdigest()
