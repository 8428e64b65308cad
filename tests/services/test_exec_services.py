"""`seamlessflow exec` against real services: seamlessflow's hashserver and database on
loopback ports, named by SEAMLESSFLOW_HASHSERVER / SEAMLESSFLOW_DATABASE (or a cluster in
clusters.yaml). The seed workflow: upload, delete the local copy, exec -nd, download."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lab_cluster import write_lab_cluster

from seamlessflow.storage.http_database import HttpResultDatabase
from seamlessflow.storage.http_store import HttpBufferStore


@pytest.fixture
def database(start_service, tmp_path):
    return start_service("database", "--writable", "--dir", str(tmp_path / "db"))


def _sf(folder: Path, env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "seamlessflow", "-C", str(folder), *args],
                          env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_upload_delete_exec_download_through_the_services(hashserver, database, service_env,
                                                          tmp_path):
    env = {**service_env, "SEAMLESSFLOW_HASHSERVER": hashserver.url,
           "SEAMLESSFLOW_DATABASE": database.url}
    here = tmp_path / "here"
    here.mkdir()
    (here / "data.txt").write_text("c\na\nb\n")
    log = tmp_path / "ran.log"
    (here / "analyse.sh").write_text('#!/bin/bash\necho ran >> "$LOG"\nsort "$1" | head -n "$n"\n')
    _sf(here, env, "upload", "data.txt", "analyse.sh")
    (here / "data.txt").unlink()
    (here / "analyse.sh").unlink()
    command = ("exec", "--var", "n=2", "--metavar", f"LOG={log}", "-cp", ":out.txt", "-nd",
               "--", "./analyse.sh", "data.txt")
    _sf(here, env, *command)
    assert not (here / "out.txt").exists() and (here / "out.txt.CHECKSUM").exists()
    assert not (tmp_path / "cache").exists()  # every byte went to the hashserver
    _sf(here, env, "download", "out.txt")
    assert (here / "out.txt").read_text() == "a\nb\n"
    # another folder with only the sidecars, and another local cache: the database answers
    there = tmp_path / "there"
    there.mkdir()
    for name in ("data.txt.CHECKSUM", "analyse.sh.CHECKSUM"):
        (there / name).write_bytes((here / name).read_bytes())
    _sf(there, {**env, "SEAMLESSFLOW_CACHE": str(tmp_path / "other-cache")}, *command)
    assert log.read_text() == "ran\n"
    assert (there / "out.txt.CHECKSUM").read_text() == (here / "out.txt.CHECKSUM").read_text()


def test_exec_on_a_jobserver_stage_runs_there(hashserver, database, start_service,
                                              service_env, tmp_path):
    """A stage on a jobserver runs exec's command on the jobserver, which gets every
    byte from the hashserver by checksum; `--local` runs it here, with the same cache."""
    jobserver = start_service("jobserver", "--hashserver", hashserver.url, "--workers", "1")
    write_lab_cluster(Path(service_env["SEAMLESS_CONFIG_DIR"]), hashserver.url, database.url,
                      jobserver.url)
    here = tmp_path / "here"
    here.mkdir()
    (here / "seamless.yaml").write_text("- cluster: lab\n")
    (here / "data.txt").write_text("hello world\nbye\n")
    remote = _sf(here, service_env, "exec", "--", "wc -c data.txt")
    assert remote.stdout == "16 data.txt\n" and "on the jobserver runner" in remote.stderr
    captured = _sf(here, service_env, "exec", "--var", "n=1", "--",
                   "head -n $n data.txt | tr a-z A-Z > top.txt")
    assert "on the jobserver runner" in captured.stderr
    assert (here / "top.txt").read_text() == "HELLO WORLD\n"
    local = _sf(here, service_env, "exec", "--local", "--", "wc -l data.txt")
    assert local.stdout == "2 data.txt\n" and "on the" not in local.stderr
    assert not (tmp_path / "cache").exists()  # the cluster's store and database, not ours
    db = HttpResultDatabase(database.url)
    runners = []
    for command in ("wc -c data.txt", "wc -l data.txt"):
        checksum = _sf(here, service_env, "exec", "--dry", "-j", str(tmp_path / command[:5]),
                       "--", command).stdout.strip()
        runners.append(db.get_record(checksum)["runner"])
        recorded = db.get_results([checksum])[checksum]
        assert HttpBufferStore(hashserver.url).get(recorded) is not None
    assert runners == ["jobserver", "process"]
