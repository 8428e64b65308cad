"""Show (status) or stop (stop) the services that `seamlessflow run` started for the
clusters of clusters.yaml: each line names the cluster, the service, its URL, its process
and whether it is running, not answering or gone. Services given by `url:` are never
stopped."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("status", "stop"), help="list them, or stop them")
    p.add_argument("--cluster", metavar="NAME", help="only the services of this cluster")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.errors import EXIT_FAILED, EXIT_OK
    from seamlessflow.services.launcher import answers, is_running, load_records, stop

    records = [r for r in load_records() if args.cluster in (None, r.cluster)]
    if not records:
        print("no services started by seamlessflow" +
              (f" for cluster '{args.cluster}'" if args.cluster else ""))
        return EXIT_OK
    failed = False
    for record in records:
        where = f"{record.cluster:<12} {record.service:<11} {record.url:<28} pid {record.pid}"
        if args.action == "status":
            state = ("running" if answers(record.url) else "not answering") \
                if is_running(record) else "gone"
            print(f"{where}  {state}")
        elif stop(record):
            print(f"{where}  stopped")
        else:
            print(f"{where}  still running after SIGTERM")
            failed = True
    return EXIT_FAILED if failed else EXIT_OK
