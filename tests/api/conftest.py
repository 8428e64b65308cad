"""Fixtures for the Python API's own tests: a bundled example in a temporary folder,
with a private cache, used in-process through `import seamlessflow`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "workflows"


@pytest.fixture
def wordstats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The wordstats example (tokenize, count[n=3|5|8], summary), ready to run."""
    monkeypatch.setenv("SEAMLESSFLOW_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SEAMLESS_CACHE", raising=False)
    root = tmp_path / "wordstats"
    shutil.copytree(EXAMPLES / "wordstats", root)
    return root
