"""Run one command as `seamless-run` would: the same transformation, the same checksum,
the same cache. Its inputs are the files and folders it names (or their .CHECKSUM
sidecars); its result is its stdout, or the files it captures with -cp and a final
`> FILE`. A result already in the cache is not computed again.

Write the command after `--`, quoted when it holds a `>` or `|`:
`seamlessflow exec --var n=3 -- 'head -n $n data.txt > top.txt'`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.errors import EXIT_FAILED, EXIT_OK, EXIT_TERMINATED

if TYPE_CHECKING:
    from seamlessflow.cli.exec_args import ExecPlan
    from seamlessflow.identity.seamless_bash import BashTransformation
    from seamlessflow.session.stores import ExecStage
    from seamlessflow.storage.interfaces import BufferStore, ResultDatabase


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                   help="a variable the command sees as $NAME; part of the identity")
    p.add_argument("--metavar", action="append", default=[], metavar="NAME=VALUE",
                   help="a variable the command sees as $NAME; its value is not part of "
                        "the identity (threads, verbosity)")
    p.add_argument("-cp", "--capture", action="append", default=[], metavar="FILE[:LOCAL]",
                   help="capture FILE (written here as LOCAL); -cp :LOCAL captures stdout")
    p.add_argument("-nd", "--no-download", action="store_true",
                   help="write only the .CHECKSUM sidecars of what is captured")
    p.add_argument("--local", action="store_true",
                   help="run on this machine, keeping the stage's cluster cache")
    p.add_argument("--stage", metavar="NAME", help="the stage of seamless.yaml to use")
    p.add_argument("--dry", "--dry-run", dest="dry", action="store_true",
                   help="run nothing: print transformation.json (with -j: write it)")
    p.add_argument("-j", "--write-job", metavar="DIR",
                   help="with --dry: write DIR/transformation.json and DIR/command.txt")
    p.add_argument("-g1", action="store_true",
                   help="a word with a suffix need not be a file (it is text if none)")
    p.add_argument("-g2", action="store_true",
                   help="a later word without a suffix may be an input file")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND",
                   help="the command and its arguments")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.cli.exec_args import parse_assignments, plan_command
    from seamlessflow.errors import UsageError
    from seamlessflow.session.run import Terminated

    words = list(args.command)
    if words and words[0] == "--":
        words = words[1:]
    if args.write_job is not None and not args.dry:
        raise UsageError("-j DIR writes the job of a dry run: add --dry")
    variables = parse_assignments(args.var, "--var")
    metavars = parse_assignments(args.metavar, "--metavar")
    plan = plan_command(words, args.capture, g1=args.g1, g2=args.g2)
    if not plan.targets and args.no_download:
        raise UsageError("-nd with nothing captured: the result is stdout, which would "
                         "be neither printed nor kept; capture it with -cp :FILE")
    if args.dry:
        from seamlessflow.identity.checksum import checksum_file
        from seamlessflow.identity.deep import path_checksum

        tf = _build(plan, variables, metavars, lambda pin: path_checksum(
            pin.path, hasher=checksum_file))
        return _dry(tf, args.write_job)
    from seamlessflow.session.stores import exec_cache

    stage, store, db = exec_cache(Path.cwd(), args.stage, args.local)
    tf = _build(plan, variables, metavars, lambda pin: _put_input(store, pin))
    for buffer in (tf.identity_buffer, *tf.buffers.values()):
        store.put(buffer)
    result, index, stale = _cached(tf, store, db)
    if result is None:
        _require_inputs(tf, store)
        try:
            computed = _execute(tf, list(plan.targets), stage, store, db, stale, args.quiet)
        except Terminated:
            print("terminated: the command was stopped, nothing was recorded",
                  file=sys.stderr)
            return EXIT_TERMINATED
        if computed is None:
            return EXIT_FAILED
        result, index = computed
    if index is None:
        _print_stdout(store, result)
    else:
        _deliver(store, plan, index, args.no_download)
    return EXIT_OK


def _build(plan: ExecPlan, variables: dict[str, str], metavars: dict[str, str],
           checksum_of) -> BashTransformation:
    """The transformation; `checksum_of(pin)` hashes (and may store) a local input. A
    sidecar names the input, as in seamless-run; a local copy beside it must agree."""
    from seamlessflow.errors import StoreError
    from seamlessflow.identity.seamless_bash import build
    from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX

    files, folders = {}, {}
    for pin in plan.pins:
        checksum = pin.checksum
        if checksum is None or pin.path.exists():
            local = checksum_of(pin)
            if checksum not in (None, local):
                raise StoreError(f"{pin.name} differs from {pin.name}{CHECKSUM_SUFFIX}: "
                                 "upload it again, or remove the stale sidecar")
            checksum = local
        (folders if pin.is_dir else files)[pin.name] = checksum
    return build(plan.command, files=files, folders=folders, variables=variables,
                 metavars=metavars, targets=list(plan.targets),
                 executables=plan.executables)


def _put_input(store: BufferStore, pin) -> str:
    """Store a local input's bytes (a folder: every file and its index); its checksum."""
    from seamlessflow.storage.atomic import os_error
    from seamlessflow.storage.trees import put_tree

    try:
        return put_tree(store, pin.path)[0] if pin.is_dir else store.put_file(pin.path)
    except OSError as exc:
        raise os_error(exc, pin.path, "read input") from None


def _require_inputs(tf: BashTransformation, store: BufferStore) -> None:
    """Every input's bytes in the store before anything runs (an input known only by its
    sidecar may have been uploaded to another store)."""
    from seamlessflow.errors import StoreError
    from seamlessflow.identity.seamless_bash import pins
    from seamlessflow.session.stores import describe_store
    from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX
    from seamlessflow.storage.trees import complete_in_store

    for name, (celltype, checksum) in pins(tf.transformation).items():
        if celltype in ("bytes", "mixed") and \
                not complete_in_store(store, checksum, celltype == "mixed"):
            raise StoreError(f"input {name} is known only by {name}{CHECKSUM_SUFFIX}, and "
                             f"the buffer store ({describe_store(store)}) does not hold its "
                             f"bytes ({checksum}); upload it to this store, or run where "
                             "it was uploaded")


def _dry(tf: BashTransformation, job_dir: str | None) -> int:
    from seamlessflow.errors import UsageError
    from seamlessflow.identity.seamless_bash import text_buffer
    from seamlessflow.storage.atomic import atomic_write_bytes

    if job_dir is None:
        sys.stdout.buffer.write(tf.identity_buffer)
        return EXIT_OK
    folder = Path(job_dir)
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        raise UsageError(f"-j {job_dir}: it exists already; name a new folder") from None
    atomic_write_bytes(folder / "transformation.json", tf.identity_buffer)
    atomic_write_bytes(folder / "command.txt", text_buffer(tf.code))
    print(tf.checksum)
    return EXIT_OK


def _cached(tf: BashTransformation, store: BufferStore, db: ResultDatabase
            ) -> tuple[str | None, dict[str, str] | None, bool]:
    """(result, its index in capture mode, whether a recorded result is unusable): a
    result counts only when every byte it names can be read, as in seamless-run. The
    empty buffer can always be read: Seamless records an empty stdout or file without
    storing it, so it is stored here when a result names it."""
    from seamlessflow.errors import StoreError
    from seamlessflow.storage.trees import load_index

    result = db.get_results([tf.checksum]).get(tf.checksum)
    if result is None:
        return None, None, False
    if not tf.capture_mode:
        return (result, None, False) if _readable(store, [result]) else (None, None, True)
    try:
        index = load_index(store, result)
    except StoreError:
        return None, None, True
    if not _readable(store, list(index.values())):
        return None, None, True
    return result, index, False


def _readable(store: BufferStore, checksums: list[str]) -> bool:
    from seamlessflow.identity.checksum import checksum_bytes

    if checksum_bytes(b"") in checksums:
        store.put(b"")
    return all(store.has(checksums))


def _execute(tf: BashTransformation, targets: list[str], stage: ExecStage,
             store: BufferStore, db: ResultDatabase, stale: bool, quiet: bool
             ) -> tuple[str, dict[str, str] | None] | None:
    """Run the transformation on the stage's runner (this machine for `process` and
    `spawn`) and record its result; None when it failed."""
    from seamlessflow.execution.execute import execute_job
    from seamlessflow.execution.seamless_bash import exec_job
    from seamlessflow.session.stores import run_job

    job = exec_job(tf, targets)
    local = stage.kind in ("process", "spawn")
    outcome, runner = (_stoppable(execute_job, job, store), "process") if local else \
        _stoppable(run_job, stage, store, job)
    if not outcome.ok or outcome.result_checksum is None:
        print(f"error: the command failed: {outcome.error}", file=sys.stderr)
        if outcome.stderr_tail:
            print(outcome.stderr_tail, file=sys.stderr)
        return None
    record = {"runner": runner, "command": "exec",
              "duration_s": outcome.duration_s, "finished_at": time.time()}
    if local:
        record["host"] = os.uname().nodename
    db.set_result(tf.checksum, outcome.result_checksum, captures=outcome.result,
                  record=record, overwrite=stale)
    if not quiet:
        where = "" if local else f" on the {runner} runner"
        print(f"computed {tf.checksum[:12]}{where} in {outcome.duration_s:.2f}s",
              file=sys.stderr)
    return outcome.result_checksum, outcome.result


def _stoppable(run, *args):
    """`run(*args)`, which a SIGTERM (from a batch system, `timeout`, `kill`) stops as a
    Ctrl-C does: the command's process group is killed (a remote job is cancelled),
    nothing is recorded."""
    import signal

    from seamlessflow.session.run import Terminated

    def on_sigterm(_signum: int, _frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return run(*args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _print_stdout(store: BufferStore, result: str) -> None:
    """The command's stdout, byte for byte as stored."""
    import shutil

    from seamlessflow.errors import StoreError

    stream = store.open(result)
    if stream is None:
        raise StoreError(f"the result {result} went missing from the buffer store")
    with stream:
        sys.stdout.flush()
        shutil.copyfileobj(stream, sys.stdout.buffer)
    sys.stdout.flush()


def _deliver(store: BufferStore, plan: ExecPlan, index: dict[str, str],
             sidecars_only: bool) -> None:
    """Each capture at its local path with its sidecar (a folder: and its .INDEX)."""
    from seamlessflow.errors import StoreError
    from seamlessflow.identity.checksum import plain_serialize

    for inside, local in plan.targets.items():
        if inside in index:
            _write(store, Path(local), index[inside], None, sidecars_only)
            continue
        prefix = inside + "/"
        sub = {key[len(prefix):]: cs for key, cs in index.items() if key.startswith(prefix)}
        if not sub:
            raise StoreError(f"the result holds no {inside}")
        _write(store, Path(local), store.put(plain_serialize(sub)), sub, sidecars_only)


def _write(store: BufferStore, path: Path, checksum: str, index: dict[str, str] | None,
           sidecars_only: bool) -> None:
    from seamlessflow.cli.cmd_download import warn
    from seamlessflow.errors import StoreError
    from seamlessflow.session.transfer import keep_local
    from seamlessflow.storage.sidecars import write_index, write_sidecar
    from seamlessflow.storage.trees import write_tree

    if not sidecars_only and not keep_local(store, path, checksum, warn):
        path.parent.mkdir(parents=True, exist_ok=True)
        if index is not None:
            write_tree(store, checksum, path)
        elif not store.write_to(checksum, path):
            raise StoreError(f"cannot write {path}: {checksum} is not in the buffer store")
    if index is not None:
        write_index(path, index)
    write_sidecar(path, checksum)
