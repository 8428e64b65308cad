"""Which Dask cluster a stage runs on: start one, or find the one the config names.

`seamlessflow serve daskserver` runs a `distributed.LocalCluster` in the foreground: its
scheduler on the first free port of a range, worker processes that each advertise a
"cores" resource equal to their threads (so a step's `cores:` takes that many of them)
and a "memory" resource of their share of the machine's memory (for `memory:`),
and the announcement `serving daskserver on tcp://HOST:PORT` plus the dashboard link.

`open_dask` turns a clusters.yaml `daskserver` entry into a scheduler address, in one of
three forms: `url:` names a running scheduler (extern: never started or stopped here),
`jobqueue:` names a dask-jobqueue cluster class for HPC batch systems (an optional
extra), and anything else asks for a LocalCluster in this process.

A Dask scheduler cannot check a bearer token, and whoever reaches it runs code on the
workers as their owner. So schedulers started here listen on loopback only, and speak
Dask's mutual TLS with credentials made at start (`tls://` addresses): the private key
and certificate are kept in the owner's token file for the scheduler's port, as for the
other services (seamlessflow.config.tokens), where the owner's DaskRunner finds them;
another account on the machine cannot connect. `serve daskserver --no-token` serves
plain `tcp://` instead, for clients that cannot hold credentials. A cluster reachable
from other machines is started by the user (with Dask's TLS) and named by its `url:`.

distributed and aiohttp are imported only where a cluster is started: `serve` builds its
argument parser with `add_arguments` for every service, and reading clusters.yaml checks
entries without starting anything.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seamlessflow.errors import UsageError
from seamlessflow.language.suggest import did_you_mean

if TYPE_CHECKING:
    import distributed

DEFAULT_DASHBOARD_PORT = 8787  # Dask's own; another free port is taken when it is busy
JOBQUEUE_EXTRA = "pip install dask-jobqueue  (or: pip install 'seamlessflow[jobqueue]')"

_CONNECT_KEYS = ("url",)
_JOBQUEUE_KEYS = ("jobqueue", "cluster_kwargs", "jobs", "adapt")
_LOCAL_KEYS = ("network_interface", "port_start", "port_end", "workers", "threads_per_worker",
               "dashboard_port")
_IGNORED_KEYS = ("conda",)  # Seamless's; accepted and ignored, as everywhere in clusters.yaml

Closer = Callable[[], None]


# ---- seamlessflow serve daskserver ------------------------------------------------------


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags `serve` does not already have (it has --host, --port, --port-range and
    --workers, which mean here: scheduler address, and the number of worker processes)."""
    p.add_argument("--threads", type=int, metavar="N",
                   help="daskserver: threads per worker process (default 1)")
    p.add_argument("--dashboard-port", type=int, metavar="P",
                   help=f"daskserver: dashboard port (default {DEFAULT_DASHBOARD_PORT}, "
                        "or any free port when that one is busy)")


def serve_daskserver(args: argparse.Namespace) -> int:
    """Run a LocalCluster until SIGTERM or SIGINT; 0 once it is shut down."""
    from seamlessflow.services.app_runner import DEFAULT_PORTS, parse_port_range

    if getattr(args, "token_file", None):
        raise UsageError("daskserver: a Dask scheduler cannot check a bearer token; it makes "
                         "TLS credentials of its own at start (drop --token-file)")
    if args.port is not None:
        ports: Sequence[int] = [args.port]
    elif args.port_range:
        ports = parse_port_range(args.port_range)
    else:
        ports = DEFAULT_PORTS
    workers = _positive("--workers", args.workers, os.cpu_count() or 1)
    threads = _positive("--threads", args.threads, 1)
    secure = not getattr(args, "no_token", False)
    return serve_local_cluster(args.host, ports, workers, threads, args.dashboard_port, secure)


def serve_local_cluster(host: str, ports: Sequence[int], workers: int, threads: int,
                        dashboard_port: int | None, secure: bool = True) -> int:
    """`secure`: TLS with credentials in the owner's token file; else plain TCP, said loudly."""
    from seamlessflow.services.auth import warn_open

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())  # before starting: a stop during start counts
    cluster = start_local_cluster(host, ports, workers, threads, dashboard_port, secure)
    try:
        if secure:
            path = publish_credentials(cluster)
            print(f"daskserver: TLS credentials in {path} (readable by you only; your "
                  "clients find them there)", file=sys.stderr, flush=True)
        else:
            warn_open("daskserver")
        print(f"serving daskserver on {cluster.scheduler_address}", flush=True)
        print(f"dashboard: {dashboard_link(cluster)}", flush=True)
        stop.wait()
    finally:
        cluster.close()
        if secure:
            withdraw_credentials(cluster)
    print("daskserver stopped", file=sys.stderr, flush=True)
    return 0


def publish_credentials(cluster: distributed.LocalCluster) -> Path:
    """Put the client credentials of a TLS cluster started here in the token file of its
    scheduler's port, where the owner's DaskRunner finds them."""
    from seamlessflow.config.tokens import write_token_file

    security = cluster.security
    return write_token_file(_port(cluster), security.tls_client_key, cluster.scheduler_address,
                            certificate=security.tls_client_cert)


def withdraw_credentials(cluster: distributed.LocalCluster) -> None:
    from seamlessflow.config.tokens import remove_token_file

    remove_token_file(_port(cluster))


def _port(cluster: distributed.LocalCluster) -> int:
    return int(cluster.scheduler_address.rsplit(":", 1)[1])


def dashboard_link(cluster: distributed.LocalCluster) -> str:
    from seamlessflow.runners.dask import has_dashboard

    if has_dashboard():
        return cluster.dashboard_link
    return "not available (the dashboard needs bokeh: pip install bokeh)"


# ---- clusters.yaml `daskserver:` entries -------------------------------------------------


def open_dask(entry: dict[str, Any], announce: Callable[[str], None] | None = None
              ) -> tuple[str, Closer]:
    """The scheduler address for a clusters.yaml `daskserver` entry, and what to call
    when the run is over (it stops what was started here, and nothing else). A cluster
    started here is `announce`d: the run says what it started and that it stops with it.

    Blocking (a LocalCluster takes a second or two to start): call it before the run's
    event loop, or through asyncio.to_thread."""
    from seamlessflow.services.app_runner import DEFAULT_PORTS

    if not isinstance(entry, dict):
        raise UsageError(f"daskserver: expected a mapping, got {entry!r}")
    if "url" in entry:
        _check_keys(entry, _CONNECT_KEYS, "an entry with url:")
        return _scheduler_url(entry["url"]), _nothing
    if "jobqueue" in entry:
        _check_keys(entry, _JOBQUEUE_KEYS, "an entry with jobqueue:")
        address, close = _open_jobqueue(entry)
        if announce is not None:
            announce(f"started a dask-jobqueue {entry['jobqueue']} for this run, scheduler "
                     f"{address}; its jobs end when the run ends")
        return address, close
    _check_keys(entry, _LOCAL_KEYS, "a local cluster entry")
    host = entry.get("network_interface", "127.0.0.1")
    if not isinstance(host, str):
        raise UsageError(f"daskserver: network_interface {host!r}: expected an address")
    start = _int_entry(entry, "port_start", DEFAULT_PORTS.start)
    end = _int_entry(entry, "port_end", max(start, DEFAULT_PORTS.stop - 1))
    if not 0 < start <= end <= 65535:
        raise UsageError(f"daskserver: port_start {start}, port_end {end}: "
                         "expected 1 <= port_start <= port_end <= 65535")
    cluster = start_local_cluster(
        host, range(start, end + 1),
        _int_entry(entry, "workers", os.cpu_count() or 1, minimum=1),
        _int_entry(entry, "threads_per_worker", 1, minimum=1),
        _int_entry(entry, "dashboard_port", 0) if "dashboard_port" in entry else None)
    try:
        publish_credentials(cluster)
    except BaseException:
        cluster.close()
        raise
    if announce is not None:
        workers = len(cluster.workers)
        announce(f"started a Dask LocalCluster for this run on {cluster.scheduler_address} "
                 f"({workers} worker{'s' if workers != 1 else ''}); it stops when the run ends")

    def close() -> None:
        cluster.close()
        withdraw_credentials(cluster)

    return cluster.scheduler_address, close


def start_local_cluster(host: str, ports: Sequence[int], workers: int, threads: int,
                        dashboard_port: int | None, secure: bool = True
                        ) -> distributed.LocalCluster:
    """A LocalCluster whose scheduler listens on the first free port of `ports`, with
    Dask's mutual TLS on credentials made now when `secure`. A port free when probed but
    taken before the scheduler binds it (another service starting at the same moment)
    is skipped, not fatal."""
    from seamlessflow.services.app_runner import bind
    from seamlessflow.services.auth import is_loopback

    if not is_loopback(host):
        raise UsageError(f"daskserver: refusing to serve on {host}: a Dask scheduler has no "
                         "token check, so seamlessflow starts schedulers on loopback only. For "
                         "a cluster other machines can reach, start one yourself (with Dask's "
                         "TLS) and name it in clusters.yaml with url: tcp://HOST:PORT")
    remaining = ports
    while True:
        probe = bind(host, remaining)
        port = probe.getsockname()[1]
        probe.close()
        try:
            return _local_cluster(host, port, workers, threads, dashboard_port, secure)
        except (OSError, RuntimeError) as exc:
            if not _address_in_use(exc) or len(remaining) <= 1 or port not in remaining:
                raise
            remaining = remaining[remaining.index(port) + 1:]


def _local_cluster(host: str, port: int, workers: int, threads: int,
                   dashboard_port: int | None, secure: bool) -> distributed.LocalCluster:
    import distributed
    from distributed.security import Security

    from seamlessflow.runners.dask import has_dashboard

    if not has_dashboard():
        dashboard = None  # its HTTP server would only answer "install bokeh"
    elif dashboard_port is None:
        dashboard = f"{host}:{DEFAULT_DASHBOARD_PORT}"
    else:
        dashboard = f"{host}:{dashboard_port}"
    environment = dict(os.environ)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
            return distributed.LocalCluster(
                host=host, scheduler_port=port, n_workers=workers, threads_per_worker=threads,
                processes=True, resources={"cores": threads, "memory": _worker_memory(workers)},
                dashboard_address=dashboard,
                security=Security.temporary() if secure else Security())
    finally:
        restore_environment(environment)


def restore_environment(environment: dict[str, str]) -> None:
    """Dask's nannies set their workers' variables (OMP_NUM_THREADS=1,
    MALLOC_TRIM_THRESHOLD_, …) in the environment of the process that starts them, for
    good; the commands of a run's local steps, which inherit it, must not get them."""
    for key in set(os.environ) - set(environment):
        del os.environ[key]
    for key, value in environment.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _worker_memory(workers: int) -> int:
    """The bytes each worker advertises as its "memory" resource (a step's `memory:`):
    its share of the machine's, as Dask's own default memory limit is."""
    from distributed.system import MEMORY_LIMIT

    return MEMORY_LIMIT // max(workers, 1)


def preload_jobqueue(entry: object) -> None:
    """Import dask-jobqueue now, in the main thread, when the entry names a jobqueue class.
    Importing it sets a SIGINT handler (dask_jobqueue.runner: Ctrl-C exits at once), which
    only the main thread may do, so the import would fail in the thread that opens the
    cluster; and the handler would replace the run's own Ctrl-C handling, so it is put
    back. Without dask-jobqueue this does nothing: opening the entry says how to get it."""
    if not isinstance(entry, dict) or "jobqueue" not in entry or "dask_jobqueue" in sys.modules:
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        import dask_jobqueue  # noqa: F401
    except ImportError:
        return
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _open_jobqueue(entry: dict[str, Any]) -> tuple[str, Closer]:
    name = entry["jobqueue"]
    try:
        import dask_jobqueue as module
    except ImportError:
        raise UsageError(f"daskserver: jobqueue {name} needs dask-jobqueue, which is not "
                         f"installed: {JOBQUEUE_EXTRA}") from None
    classes = _jobqueue_classes(module)
    if not isinstance(name, str) or name not in classes:
        raise UsageError(f"daskserver: unknown jobqueue {name!r}{did_you_mean(str(name), classes)}"
                         f" (dask-jobqueue has {', '.join(sorted(classes))})")
    kwargs = entry.get("cluster_kwargs", {})
    adapt = entry.get("adapt")
    if not isinstance(kwargs, dict) or not (adapt is None or isinstance(adapt, dict)):
        raise UsageError("daskserver: cluster_kwargs and adapt must be mappings")
    if adapt is not None and "jobs" in entry:
        raise UsageError("daskserver: give jobs (a fixed number) or adapt (a range), not both")
    try:
        cluster = classes[name](**kwargs)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"daskserver: {name}({_show(kwargs)}): {exc}") from None
    if adapt is not None:
        cluster.adapt(**adapt)
    else:
        cluster.scale(jobs=_int_entry(entry, "jobs", 1, minimum=1))
    return cluster.scheduler_address, cluster.close


def _jobqueue_classes(module: Any) -> dict[str, type]:
    """The cluster classes dask-jobqueue exports, and its `LocalCluster` (not exported),
    which runs the job scripts as processes on this machine: an entry can be tried out,
    and tested, without a batch system."""
    from dask_jobqueue.local import LocalCluster

    names = [n for n in getattr(module, "__all__", dir(module)) if n.endswith("Cluster")]
    return {**{n: getattr(module, n) for n in names}, "LocalCluster": LocalCluster}


def _scheduler_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise UsageError(f"daskserver: url {url!r}: expected a scheduler address such as "
                         "tcp://HOST:8786")
    if url.startswith(("http://", "https://")):
        raise UsageError(f"daskserver: url {url}: a Dask scheduler address starts with tcp:// "
                         "or tls:// (an http:// address is its dashboard)")
    return url.strip()


def _check_keys(entry: dict[str, Any], known: Sequence[str], form: str) -> None:
    allowed = (*known, *_IGNORED_KEYS)
    for key in entry:
        if key not in allowed:
            raise UsageError(f"daskserver: unknown key {key!r} in {form}"
                             f"{did_you_mean(str(key), allowed)} (known: {', '.join(known)})")


def _int_entry(entry: dict[str, Any], key: str, default: int, minimum: int = 0) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"daskserver: {key} {value!r}: expected a whole number of at least "
                         f"{minimum}")
    return value


def _positive(flag: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if value < 1:
        raise UsageError(f"{flag} {value}: must be at least 1")
    return value


def _address_in_use(exc: BaseException | None) -> bool:
    """Dask wraps the bind error of its scheduler in RuntimeErrors."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _show(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _nothing() -> None:
    """An extern scheduler is not ours to stop."""
