"""A seamlessflow workflow whose buffer store is the real Seamless hashserver."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wordstats_runs_with_the_real_hashserver_as_its_store(tmp_path, hashserver, sf):
    http = hashserver(tmp_path / "buffers")
    shutil.copytree(REPO / "examples" / "workflows" / "wordstats", sf.work, dirs_exist_ok=True)
    sf.env["SEAMLESSFLOW_HASHSERVER"] = http.base
    first = sf("run")
    assert "5 ran" in first.stdout
    summary = (sf.work / "summary.md").read_bytes()
    # every captured buffer went to the hashserver's folder, none to the local cache's
    digest = hashlib.sha256(summary).hexdigest()
    assert (tmp_path / "buffers" / digest[:2] / digest).read_bytes() == summary
    assert not (sf.cache / "__TOPLEVEL__" / digest[:2] / digest).exists()
    # the outputs come back from the hashserver when the local copies are gone
    shutil.rmtree(sf.work / "counts")
    (sf.work / "summary.md").unlink()
    second = sf("run")
    assert "5 cached" in second.stdout
    assert (sf.work / "summary.md").read_bytes() == summary
    assert (sf.work / "counts" / "3.txt").is_file()
