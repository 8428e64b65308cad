"""The round trips a run makes to a cluster's hashserver, counted on the wire by a proxy
in front of it: a fan of steps on a jobserver stage stores each step's own buffers once,
the steps' shared code once, asks /has once for the join's many upstream results
(not once per input, per step and per upstream result), and downloads no result: each
comes back with the jobserver's answer."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from lab_cluster import write_lab_cluster
from request_count import counting_proxy

N = 12
SEAMLESSFILE = f"""\
cluster: lab

let ids = range(0, {N})

step digest for i in ids:
    inputs: data/{{i}}.txt -> in.txt
    shell: "md5sum < in.txt > sum.txt"
    captures: sum.txt -> sums/{{i}}.txt

step join:
    inputs: sums/{{i}}.txt for i in ids
    params: ids
    shell: "cat $(printf 'sums/%s.txt ' $ids) > all.txt"
    captures: all.txt
"""


def test_a_fan_on_a_jobserver_stage_makes_few_round_trips(start_service, hashserver,
                                                          service_env, tmp_path):
    database = start_service("database", "--writable", "--dir", str(tmp_path / "db"))
    jobserver = start_service("jobserver", "--hashserver", hashserver.url, "--workers", "2")
    root = _fan(tmp_path)
    with counting_proxy(hashserver.url) as (proxy, counts):
        _run_on_lab(root, service_env, tmp_path, proxy, database.url, jobserver.url)

    sums = (hashlib.md5(f"line {i}\n".encode()).hexdigest() for i in range(N))
    expected = "".join(f"{digest}  -\n" for digest in sums)
    assert (root / "all.txt").read_text() == expected
    # each step's input and transformation, the code of `digest` once, the join's code,
    # its param `ids` (a pin of its own) and transformation; its upstream results are on
    # the hashserver already
    assert counts["PUT buffer"] == 2 * N + 4, counts
    # one question, for the join's N upstream results
    assert counts["GET /has"] == 1, counts
    # the results came back with the jobserver's answers: none is downloaded
    assert counts["GET buffer"] == 0, counts


def test_a_worker_stores_a_steps_captures_and_result_in_one_request(start_service, hashserver,
                                                                    service_env, tmp_path):
    """The jobserver's side, counted by a proxy between it and the hashserver: each
    step's capture and result mapping travel in one put-many, not in a PUT each."""
    database = start_service("database", "--writable", "--dir", str(tmp_path / "db"))
    root = _fan(tmp_path)
    with counting_proxy(hashserver.url) as (proxy, counts):
        jobserver = start_service("jobserver", "--hashserver", proxy, "--workers", "2")
        _run_on_lab(root, service_env, tmp_path, hashserver.url, database.url, jobserver.url)

    digest = hashlib.md5(b"line 0\n").hexdigest()
    assert (root / "sums" / "0.txt").read_text() == f"{digest}  -\n"
    # N digests and the join: one request each for the capture and the result mapping
    assert counts["PUT /seamlessflow/put-many"] == N + 1, counts
    assert counts["PUT buffer"] == 0, counts


def _fan(tmp_path: Path) -> Path:
    root = tmp_path / "fan"
    (root / "data").mkdir(parents=True)
    for i in range(N):
        (root / "data" / f"{i}.txt").write_text(f"line {i}\n")
    (root / "Seamlessfile").write_text(SEAMLESSFILE)
    return root


def _run_on_lab(root: Path, service_env: dict[str, str], tmp_path: Path, hashserver: str,
                database: str, jobserver: str) -> None:
    """`run -j2` of the fan with the cluster lab made of these services."""
    write_lab_cluster(Path(service_env["SEAMLESS_CONFIG_DIR"]), hashserver, database, jobserver)
    env = {**service_env, "SEAMLESSFLOW_CACHE": str(tmp_path / "client-cache")}
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(root), "run", "-j2"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
