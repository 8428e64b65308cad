"""Starting a cluster's services when they are not running, and finding them again.

A service of clusters.yaml without `url:` is seamlessflow's to run: the first run that
needs it starts `seamlessflow serve NAME` detached (its own session, so Ctrl-C on the
run leaves it up), on the first free port of the configured range, and records its URL
and PID under the cache folder, and says so on stderr: which service, where, its log,
and how to stop it. Later runs, from any project folder, reuse it while it answers.
`seamlessflow services status|stop` reads the same records. A started service stops by
itself after the cluster's idle timeout, removing its record as it goes; the runs that
use it keep it up meanwhile (seamlessflow.services.keepalive).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from seamlessflow.config.clusters import Cluster, ServiceEntry
from seamlessflow.errors import ExecutionError
from seamlessflow.services.keepalive import keep_running, ping
from seamlessflow.storage.atomic import atomic_write_bytes
from seamlessflow.storage.location import cache_dir

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclasses.dataclass
class Record:
    cluster: str
    service: str
    url: str
    pid: int
    log: str


def records_dir() -> Path:
    return cache_dir() / "services"


def load_records() -> list[Record]:
    records = []
    for path in sorted(records_dir().glob("*.json")):
        try:
            records.append(Record(**json.loads(path.read_text())))
        except (OSError, ValueError, TypeError):
            continue  # a half-written or foreign file is no record
    return records


Announce = Callable[[str], None]


def with_urls(cluster: Cluster, services: list[str], announce: Announce | None = None
              ) -> Cluster:
    """The cluster with a URL for each of `services` it has: extern ones as configured,
    the others found running or started now (and then `announce`d)."""
    entries = dict(cluster.services)
    for service in services:
        entry = entries.get(service)
        if entry is None or entry.url is not None:
            continue
        if service == "jobserver" and "hashserver" in entries:
            entries = {**entries,
                       "hashserver": _with_url(cluster, entries, "hashserver", announce)}
        entries[service] = _with_url(cluster, entries, service, announce)
    return dataclasses.replace(cluster, services=entries)


def _with_url(cluster: Cluster, entries: dict[str, ServiceEntry], service: str,
              announce: Announce | None) -> ServiceEntry:
    entry = entries[service]
    if entry.url is not None:
        return entry
    return dataclasses.replace(entry, url=ensure_running(cluster, entries, service, announce))


def ensure_running(cluster: Cluster, entries: dict[str, ServiceEntry], service: str,
                   announce: Announce | None = None) -> str:
    """The URL of the cluster's `service`, started now if it is not running; either way
    kept running for as long as this process lives."""
    record = _record(cluster.name, service)
    if record is not None and is_running(record):
        # The ping counts as work: a service that answers it does not stop for
        # idleness before the keeper's first ping. One that is stopping answers 503.
        timeout = ping(record.url)
        if timeout is not None:
            keep_running(record.url, timeout)
            return record.url
    url = _start(cluster, entries, service, announce)
    keep_running(url, cluster.idle_timeout)
    return url


def is_running(record: Record) -> bool:
    """The recorded PID is alive and is still a seamlessflow service (PIDs are reused)."""
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in cmdline and record.service.encode() in cmdline


def answers(url: str) -> bool:
    """The healthcheck, with the service's token: bound beyond loopback, it needs one."""
    from seamlessflow.storage.http_client import HttpClient

    return HttpClient(url, "service", retries=0).healthy()


def stop(record: Record) -> bool:
    """SIGTERM, then wait; True once the service is gone. The record is removed."""
    gone = True
    if is_running(record):
        os.kill(record.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while is_running(record) and time.monotonic() < deadline:
            time.sleep(0.05)
        gone = not is_running(record)
    if gone:
        _record_path(record.cluster, record.service).unlink(missing_ok=True)
    return gone


def forget_own_record(path: Path) -> None:
    """Remove the record at `path` if it names this process: a service calls this as it
    stops (a later one may have taken over the record meanwhile)."""
    try:
        pid = json.loads(path.read_text()).get("pid")
    except (OSError, ValueError, AttributeError):
        return
    if pid == os.getpid():
        path.unlink(missing_ok=True)


def _record_path(cluster: str, service: str) -> Path:
    return records_dir() / f"{cluster}-{service}.json"


def _record(cluster: str, service: str) -> Record | None:
    try:
        return Record(**json.loads(_record_path(cluster, service).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _serve_args(cluster: Cluster, entries: dict[str, ServiceEntry], service: str) -> list[str]:
    entry = entries[service]
    start = entry.port_start or 5100
    end = entry.port_end or start + 99
    args = ["serve", service, "--host", entry.network_interface, "--port-range", f"{start}-{end}",
            "--idle-timeout", f"{cluster.idle_timeout:g}",
            "--record", str(_record_path(cluster.name, service))]
    home = cache_dir() / "clusters" / cluster.name
    if service == "hashserver":
        args += ["--writable", "--dir", str(Path(entry.directory or home / "buffers").expanduser())]
    elif service == "database":
        args += ["--writable", "--dir", str(Path(entry.directory or home / "database").expanduser())]
    elif service == "jobserver" and "hashserver" in entries:
        args += ["--hashserver", str(entries["hashserver"].url)]
    return args


def _start(cluster: Cluster, entries: dict[str, ServiceEntry], service: str,
           announce: Announce | None) -> str:
    folder = records_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{cluster.name}-{service}.log"
    out = folder / f"{cluster.name}-{service}.out"
    args = _serve_args(cluster, entries, service)
    with open(out, "wb") as stdout, open(log, "ab") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "seamlessflow", *args],
                                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    prefix = f"serving {service} on "
    while time.monotonic() < deadline:
        lines = out.read_text(errors="replace").splitlines()
        url = next((line[len(prefix):].strip() for line in lines if line.startswith(prefix)),
                   None)
        if url is not None:
            record = Record(cluster.name, service, url, proc.pid, str(log))
            atomic_write_bytes(_record_path(cluster.name, service),
                               json.dumps(dataclasses.asdict(record)).encode())
            if announce is not None:
                announce(started_message(cluster, record))
            return url
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    raise ExecutionError(
        f"cannot start the {service} of cluster '{cluster.name}' "
        f"(seamlessflow {' '.join(args)}): " + (" / ".join(tail) or "no answer") +
        f"; its log is {log}")


def started_message(cluster: Cluster, record: Record) -> str:
    """What `run` says when it starts a service that outlives it."""
    stop = f"`seamlessflow services stop --cluster {cluster.name}`"
    if cluster.idle_timeout > 0:
        until = f"it stops after {_duration(cluster.idle_timeout)} without work, or now with {stop}"
    else:
        until = f"it keeps running until {stop}"
    return (f"started the {record.service} of cluster '{cluster.name}' in the background on "
            f"{record.url} (pid {record.pid}, log {record.log}); {until}")


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
