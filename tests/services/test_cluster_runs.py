"""`seamlessflow run` against a cluster of real services named in clusters.yaml: a
jobserver stage gives the same results as --local, a second project folder on the
same cluster is fully cached, and two runs at once against one cluster both succeed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORDSTATS = REPO / "examples" / "workflows" / "wordstats"


def _project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(WORDSTATS, root)
    (root / "seamless.yaml").write_text("- cluster: lab\n")
    return root


def _run(root: Path, env: dict, *args: str) -> dict:
    report = root / "report.json"
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run",
                           "--report", str(report), *args],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())


def _results(report: dict) -> dict[str, str]:
    return {i["name"]: i["result"] for i in report["instances"]}


def test_a_jobserver_stage_matches_local_and_is_shared_between_folders(cluster, tmp_path):
    first = _run(_project(tmp_path, "one"), cluster)
    assert {i["runner"] for i in first["instances"]} == {"jobserver"}
    assert first["counts"]["ran"] == 5
    assert (tmp_path / "one" / "summary.md").read_text().startswith("## counts/3.txt")

    # the same workflow in another folder on the same cluster: nothing runs
    second = _run(_project(tmp_path, "two"), cluster)
    assert {i["status"] for i in second["instances"]} == {"cached"}
    assert (tmp_path / "two" / "summary.md").read_bytes() == \
        (tmp_path / "one" / "summary.md").read_bytes()

    # in-process with the embedded cache: the same result checksums
    local_env = {k: v for k, v in cluster.items() if k != "SEAMLESS_CONFIG_DIR"}
    local_root = tmp_path / "local"
    shutil.copytree(WORDSTATS, local_root)
    local = _run(local_root, local_env)
    assert local["counts"]["ran"] == 5
    assert _results(local) == _results(first)


def test_two_runs_at_once_against_one_cluster_both_succeed(cluster, tmp_path):
    roots = [_project(tmp_path, name) for name in ("a", "b")]
    for root, n in zip(roots, ("4", "6"), strict=True):
        sf = root / "Seamlessfile"
        sf.write_text(sf.read_text().replace("[3, 5, 8]", f"[3, {n}, 8]"))
    procs = [subprocess.Popen([sys.executable, "-m", "seamlessflow", "-C", str(root), "run"],
                              env=cluster, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for root in roots]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    for root in roots:
        assert (root / "summary.md").is_file()


def test_a_jobserver_command_is_told_its_slots(cluster, tmp_path):
    root = tmp_path / "cores"
    root.mkdir()
    (root / "seamless.yaml").write_text("- cluster: lab\n")
    (root / "Seamlessfile").write_text(textwrap.dedent("""\
        step threaded:
            cores: 2
            shell: 'echo "$SEAMLESSFLOW_CORES $OMP_NUM_THREADS" > o.txt'
            captures: o.txt -> cores.txt
        """))
    report = _run(root, cluster, "-j", "4")
    assert {i["runner"] for i in report["instances"]} == {"jobserver"}
    assert (root / "cores.txt").read_text() == "2 2\n"
