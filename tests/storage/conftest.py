"""A private cache folder per test: SEAMLESSFLOW_CACHE points into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamlessflow.storage.local_store import LocalBufferStore


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(folder))
    return folder


@pytest.fixture
def store(cache) -> LocalBufferStore:
    return LocalBufferStore(cache / "__TOPLEVEL__")


@pytest.fixture
def corrupt():
    """Damage a stored buffer the way a disk error or an in-place edit would."""

    def damage(path: Path, data: bytes = b"garbage") -> None:
        path.chmod(0o644)
        path.write_bytes(data)

    return damage
