"""A run whose steps run partly on a cluster (a jobserver stage) and partly here: every
result database the run can reach counts as cache, each result is recorded where it
was computed, and bytes go only where a step or the project needs them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORDSTATS = REPO / "examples" / "workflows" / "wordstats"
FARM = "stage farm:\n    cluster: lab\n\n"
_CHECKSUM = re.compile(r"^[0-9a-f]{64}$")


def _project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(WORDSTATS, root)
    return root


def _on_farm(root: Path, step: str) -> None:
    """Declare the stage `farm` (cluster 'lab') and put `step` on it."""
    sf = root / "Seamlessfile"
    text = sf.read_text()
    assert f"step {step}" in text
    text = re.sub(rf"(step {step}\b[^\n]*:\n)", r"\1    stage: farm\n", text)
    sf.write_text(FARM + text)


def _run(root: Path, env: dict, *args: str) -> dict:
    report = root / "report.json"
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                           "--report", str(report), *args],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())


def _statuses(report: dict) -> dict[str, str]:
    return {i["name"]: i["status"] for i in report["instances"]}


def _buffers(folder: Path) -> set[str]:
    """The checksums of the buffers a store folder holds."""
    if not folder.exists():
        return set()
    return {p.name for p in folder.rglob("*") if p.is_file() and _CHECKSUM.match(p.name)}


def _outputs(root: Path) -> dict[str, bytes]:
    paths = ["tokens.txt", "summary.md", *(f"counts/{n}.txt" for n in (3, 5, 8))]
    return {p: (root / p).read_bytes() for p in paths}


def test_adding_a_cluster_stage_to_a_cached_project_reruns_nothing(cluster, tmp_path):
    root = _project(tmp_path, "one")
    first = _run(root, cluster)
    assert first["counts"]["ran"] == 5
    before = _outputs(root)

    _on_farm(root, "count")
    (root / "summary.md").unlink()  # the project needs it back, from the cache
    again = _run(root, cluster)
    assert set(_statuses(again).values()) == {"cached"}
    assert _outputs(root) == before
    # nothing needed to go to the cluster's hashserver: nothing ran there
    assert _buffers(tmp_path / "buffers") == set()


def test_a_second_project_on_the_cluster_reuses_what_the_first_computed_there(
        cluster, tmp_path):
    one = _project(tmp_path, "one")
    _on_farm(one, "count")
    first = _run(one, cluster)
    assert {i["name"]: i["runner"] for i in first["instances"]} == {
        "tokenize": "process", "summary": "process",
        **{f"count[n={n}]": "jobserver" for n in (3, 5, 8)}}

    # another machine's project: its own local cache, the same cluster
    two = _project(tmp_path, "two")
    _on_farm(two, "count")
    laptop = {**cluster, "SEAMLESSFLOW_CACHE": str(tmp_path / "laptop-cache")}
    second = _run(two, laptop)
    # what the first computed on the cluster is a cache hit; what it computed locally
    # stayed in its own local cache, so this machine computes it again
    assert _statuses(second) == {
        "tokenize": "ran", "summary": "ran",
        **{f"count[n={n}]": "cached" for n in (3, 5, 8)}}
    assert _outputs(two) == _outputs(one)


def test_a_laptop_adding_a_stage_uploads_only_what_the_remote_step_needs(cluster, tmp_path):
    root = _project(tmp_path, "laptop")
    assert _run(root, cluster)["counts"]["ran"] == 5
    hashserver = tmp_path / "buffers"
    before = _buffers(hashserver)

    _on_farm(root, "summary")
    sf = root / "Seamlessfile"
    sf.write_text(sf.read_text().replace("top = 5", "top = 2"))  # summary must run again
    report = _run(root, cluster)
    assert _statuses(report) == {
        "tokenize": "cached", "summary": "ran",
        **{f"count[n={n}]": "cached" for n in (3, 5, 8)}}
    summary = next(i for i in report["instances"] if i["name"] == "summary")
    assert summary["runner"] == "jobserver"

    # on the hashserver now: the summary's transformation, its code and its three
    # inputs, which the laptop uploaded, and the result the jobserver made; nothing of
    # the tokenize and count steps that stay on the laptop (the corpus, the tokens)
    transformation = json.loads((_find(hashserver, summary["transformation"])).read_bytes())
    needed = {summary["transformation"], transformation["code"],
              *transformation["inputs"].values()}
    made = {summary["result"], *summary["captures"].values()}
    assert _buffers(hashserver) - before == needed | made
    assert (root / "summary.md").read_text().count("\n") == 3 * 3  # header + top 2, three times


def test_a_result_replaced_on_the_cluster_is_the_one_found_next(cluster, tmp_path):
    root = tmp_path / "stamp"
    root.mkdir()
    (root / "Seamlessfile").write_text(
        'step stamp:\n    shell: "date +%s%N > s.txt"\n    captures: s.txt\n')
    _run(root, cluster)
    local = (root / "s.txt").read_text()

    _on_farm(root, "stamp")
    forced = _run(root, cluster, "--force", "stamp")
    assert forced["instances"][0]["runner"] == "jobserver"
    remote = (root / "s.txt").read_text()
    assert remote != local
    # the local cache's record of the result it replaced is not found first
    assert _statuses(_run(root, cluster)) == {"stamp": "cached"}
    assert (root / "s.txt").read_text() == remote


@pytest.mark.parametrize("switch", ["flag", "clusters.yaml"])
def test_without_the_local_cache_every_result_stays_on_the_cluster(cluster, tmp_path, switch):
    args: tuple[str, ...] = ()
    if switch == "flag":
        args = ("--no-local-cache",)
    else:
        clusters = Path(cluster["SEAMLESS_CONFIG_DIR"]) / "clusters.yaml"
        clusters.write_text(clusters.read_text().replace(
            "  type: local\n", "  type: local\n  local_cache: false\n"))
    one = _project(tmp_path, "one")
    _on_farm(one, "count")
    assert _run(one, cluster, *args)["counts"]["ran"] == 5
    assert _buffers(Path(cluster["SEAMLESSFLOW_CACHE"])) == set()

    two = _project(tmp_path, "two")
    _on_farm(two, "count")
    laptop = {**cluster, "SEAMLESSFLOW_CACHE": str(tmp_path / "laptop-cache")}
    assert set(_statuses(_run(two, laptop)).values()) == {"cached"}
    assert _outputs(two) == _outputs(one)


def _find(folder: Path, checksum: str) -> Path:
    return next(p for p in folder.rglob(checksum) if p.is_file())
