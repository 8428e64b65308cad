"""Run one service in the foreground until Ctrl-C or SIGTERM: the hashserver (a buffer
folder), the database (a result database), the jobserver (runs jobs) or the daskserver
(a Dask scheduler with local worker processes). Once listening it prints `serving NAME
on URL`. It binds to 127.0.0.1 unless --host says otherwise. Writes and jobs need its
token (--token-file, $SEAMLESSFLOW_TOKEN, or a new one), which it keeps where its
owner's clients find it; --no-token serves openly. With --idle-timeout it stops by
itself after that long without work. Flags marked with a service name apply to that
service only."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from seamlessflow.errors import UsageError

SERVICES = ("hashserver", "database", "jobserver", "daskserver")
_SIZE = re.compile(r"(\d+)([KMGT]?)I?B?", re.IGNORECASE)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("service", choices=SERVICES, help="which service to run")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; on any other, even reads "
                        "need the token)")
    ports = p.add_mutually_exclusive_group()
    ports.add_argument("--port", type=int, help="port to listen on (0: any free port)")
    ports.add_argument("--port-range", metavar="A-B",
                       help="listen on the first free port from A to B (default 49152-65535)")
    p.add_argument("--dir", metavar="DIR",
                   help="hashserver: the buffer folder; database: the folder of seamless.db; "
                        "jobserver: a local buffer folder to run against "
                        "(default: the cache folder's)")
    p.add_argument("--writable", action="store_true",
                   help="hashserver, database: accept writes (read-only by default, as in Seamless)")
    p.add_argument("--token-file", metavar="FILE",
                   help="require the bearer token in FILE (default: $SEAMLESSFLOW_TOKEN if "
                        "set, else a new random token)")
    p.add_argument("--no-token", action="store_true",
                   help="loopback only: accept writes and jobs from anyone on this machine "
                        "(needed by clients that send no token, such as Seamless's)")
    p.add_argument("--idle-timeout", type=_seconds, default=0.0, metavar="SECONDS",
                   help="hashserver, database, jobserver: stop after this long without "
                        "work: no request under way or answered, /healthcheck aside "
                        "(default 0: never)")
    # Given by `run` when it starts a service in the background: the launcher's record
    # of it, removed as the service stops (seamlessflow.services.launcher).
    p.add_argument("--record", metavar="FILE", help=argparse.SUPPRESS)
    p.add_argument("--max-body", metavar="SIZE",
                   help="hashserver: largest buffer accepted, e.g. 500M or 64G (default 64G)")
    p.add_argument("--hashserver", metavar="URL",
                   help="jobserver: run against this hashserver instead of a local folder")
    p.add_argument("--workers", type=int, metavar="N",
                   help="jobserver: jobs run at once; daskserver: worker processes "
                        "(default: the number of cores)")
    p.add_argument("--workdir", metavar="DIR",
                   help="jobserver: where job workspaces are made (default: the temp folder)")
    from seamlessflow.services.daskserver import add_arguments as add_dask_arguments

    add_dask_arguments(p)


def run(args: argparse.Namespace) -> int:
    from seamlessflow.services.app_runner import DEFAULT_PORTS, parse_port_range, serve
    from seamlessflow.services.auth import load_token

    _reject_foreign_flags(args)
    if args.service == "daskserver":
        from seamlessflow.services.daskserver import serve_daskserver

        return serve_daskserver(args)
    if args.port is not None:
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port {args.port}: expected 0 to 65535")
        ports: range | list[int] = [args.port]
    elif args.port_range:
        ports = parse_port_range(args.port_range)
    else:
        ports = DEFAULT_PORTS
    token = load_token(args.token_file, args.no_token)
    record = Path(args.record) if args.record else None
    return serve(lambda: _make_app(args), args.service, args.host, ports, token,
                 args.idle_timeout, record)


def _make_app(args: argparse.Namespace):  # noqa: ANN202 - aiohttp is imported lazily
    from seamlessflow.session.stores import buffer_folder, store_at

    folder = Path(args.dir).expanduser() if args.dir else None
    if args.service == "hashserver":
        from seamlessflow.services import hashserver

        max_body = _size(args.max_body) if args.max_body else hashserver.DEFAULT_MAX_BODY
        return hashserver.make_app(folder or buffer_folder(), args.writable, max_body)
    if args.service == "database":
        from seamlessflow.services import database

        return database.make_app((folder or buffer_folder()) / "seamless.db", args.writable)
    from seamlessflow.services import jobserver

    if args.hashserver and folder:
        raise UsageError("jobserver: give --hashserver URL or --dir DIR, not both")
    store = store_at(args.hashserver, folder)
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1")
    workdir = Path(args.workdir).expanduser() if args.workdir else None
    return jobserver.make_app(store, args.workers or os.cpu_count() or 1, workdir)


def _reject_foreign_flags(args: argparse.Namespace) -> None:
    """A flag that does not apply to the chosen service is a mistake worth saying."""
    only = {"--writable": (args.writable, ("hashserver", "database")),
            "--max-body": (args.max_body, ("hashserver",)),
            "--hashserver": (args.hashserver, ("jobserver",)),
            "--workers": (args.workers, ("jobserver", "daskserver")),
            "--workdir": (args.workdir, ("jobserver",)),
            "--threads": (args.threads, ("daskserver",)),
            "--dashboard-port": (args.dashboard_port, ("daskserver",)),
            "--idle-timeout": (args.idle_timeout or None, ("hashserver", "database",
                                                           "jobserver")),
            "--record": (args.record, ("hashserver", "database", "jobserver"))}
    for flag, (value, services) in only.items():
        if value not in (None, False) and args.service not in services:
            raise UsageError(f"{flag} applies to the {' and '.join(services)} only")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds (0: never), got {text!r}")
    return value


def _size(text: str) -> int:
    match = _SIZE.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise UsageError(f"--max-body {text}: expected a size such as 500M or 64G")
    shift = " KMGT".index((match.group(2) or " ").upper()) * 10
    return int(match.group(1)) << shift
