"""A run that found everything cached, kept with the evidence that it still holds, so
that the next run can say so again after one stat of each file it involved.

A no-op run that goes the whole way loads the plan, checks each input's stat against
the stat cache, builds and hashes every transformation, looks them all up and checks
each output: 40 µs of Python per instance besides the stats. When the last run found
everything cached and none of what decided that has changed, the answer is the same,
and this module gives it from a record of that run: Make's question ("is anything
newer?") asked of seamlessflow's own records.

The record (`CACHE/plans/KEY.settled`, beside the plan, for the same reason: a project
folder may come from someone else) holds:

- the signature of seamlessflow's code, the checksums of the Seamlessfile and of
  what it includes, and the values of its globs (as the plan does);
- the selection on the command line (targets, `--until`, `--stage`, `--local`);
- for every project input and output, the stat it had when its checksum was taken
  (the stat cache entry that vouched for it), only if that entry was not racy;
- the stats of the folders holding inputs (a `.CHECKSUM` or `.FUTURE` appearing beside
  an input changes the run), of the project's config files and of `outputs.json`
  (without it a cached result is read from the store, which may have lost it), taken
  at the end of the run, only if nothing changed them since just before it began;
- every instance's state (transformation, result, captures), in the order reported.

It holds while all those stats are the same and the result database still maps every
transformation to the same result (one batched lookup, as a run does). Anything else
and the run goes the whole way, which keeps a new record if it finds everything
cached. Runs that are not recorded: a dry run (it writes nothing), one that ran,
failed or warned about anything, `--force`, `-F`, `-nd`, a cluster or remote database or
store, and any input or output that is a folder or comes from a sidecar (their
content is not one stat). Deleting the record loses nothing but speed.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.scheduling.state import CACHED, InstanceState
from seamlessflow.session.plan_cache import DAMAGED, cache_file, code_signature, sources_unchanged
from seamlessflow.storage.statcache import StatCache, signature

if TYPE_CHECKING:
    from seamlessflow.graph.model import Workflow
    from seamlessflow.session.options import RunOptions

FORMAT = 2  # 2: shell steps are Seamless bash transformations
SUFFIX = ".settled"
# the code whose rules the record stands for: all of it that a run goes through
_CODE = ("", "grammar", "language", "graph", "identity", "scheduling", "storage", "config",
         "session", "cli")

Stat = tuple[int, int, int, int]


def record_file(seamlessfile: Path, overrides: dict | None) -> Path:
    return cache_file(seamlessfile, overrides, SUFFIX)


def eligible(options: RunOptions) -> bool:
    """Whether this run may be answered (or recorded) here at all."""
    from seamlessflow.storage.location import remote_url

    return options.force is None and not options.force_all and not options.no_download \
        and remote_url("buffer") is None and remote_url("database") is None


def replay(file: Path, options: RunOptions, root: Path
           ) -> tuple[list[InstanceState], list[InstanceState]] | None:
    """The states of the recorded run, in the order of the selection and in the order
    it reported them, if everything that decided them is unchanged; None otherwise (and
    for anything unreadable)."""
    try:
        raw = file.read_bytes()
    except OSError:
        return None
    try:
        fmt, code, sources, globs, selection, paths, stats, rows, order = marshal.loads(raw)
        if fmt != FORMAT or selection != options.selection() or code != code_signature(_CODE):
            return None
        if not sources_unchanged(sources, globs, root) or not _unchanged(paths, stats):
            return None
        if not _results_unchanged(rows):
            return None
        states = [InstanceState(name, step, bindings, stage, status=CACHED,
                                reason="cached result", transformation=tf, result=result,
                                captures=captures)
                  for name, step, bindings, stage, tf, result, captures in rows]
        return states, states if order is None else [states[i] for i in order]
    except DAMAGED:
        return None  # not a record of this version: the run goes the whole way


def _unchanged(paths: list[str], stats: list[Stat | None]) -> bool:
    stat = os.stat
    for path, recorded in zip(paths, stats, strict=True):
        try:
            st = stat(path)
        except OSError:
            if recorded is None:  # absent then, absent now
                continue
            return False
        if signature(st) != recorded:
            return False
    return True


def _results_unchanged(rows: list[tuple]) -> bool:
    from seamlessflow.errors import StoreError
    from seamlessflow.storage.location import open_default_database

    try:
        known = open_default_database().get_results([row[4] for row in rows])
    except StoreError:
        return False  # the run says what is wrong with the database
    return all(known.get(row[4]) == row[5] for row in rows)


def record(file: Path, *, workflow: Workflow, options: RunOptions, started_ns: int,
           inputs: dict[str, tuple[str, bool]], statcache: StatCache, state_dir: Path,
           states: list[InstanceState], reported: list[str]) -> bool:
    """Keep the record of a run (begun at `started_ns`) that found every one of `states`
    cached and reported them in the order of the names in `reported`; `inputs` maps each
    project input read to (checksum, is local). False, and any older record removed,
    when something in it cannot be vouched for by one stat."""
    from seamlessflow.config.project_files import FILES as CONFIG_FILES
    from seamlessflow.scheduling.outputs import OUTPUTS_FILE
    from seamlessflow.storage.statcache import racy

    index = {s.name: i for i, s in enumerate(states)}
    if len(reported) != len(index) or set(reported) != index.keys():
        return forget(file)
    root = os.path.abspath(workflow.root)
    paths: list[str] = []
    stats: list[Stat | None] = []
    vouched = [(path, cs) for path, (cs, is_local) in inputs.items() if is_local]
    if len(vouched) != len(inputs):
        return forget(file)
    vouched += [item for s in states for item in (s.captures or {}).items()]
    for path, checksum in vouched:
        full = root + "/" + path
        entry = statcache.entries.get(full)
        try:
            if entry[4] != checksum or racy(entry[1], entry[5]):
                return forget(file)  # not yet trusted: the next run reads it again
        except (TypeError, IndexError):  # no entry: a folder's content is not one stat
            return forget(file)
        paths.append(full)
        stats.append(tuple(entry[:4]))
    folders = {root + "/" + p.rpartition("/")[0] if "/" in p else root for p in inputs}
    around = [*sorted(folders), *(root + "/" + name for name in CONFIG_FILES),
              str(state_dir / OUTPUTS_FILE)]
    for path in around:
        try:
            st = os.stat(path)
        except OSError:
            paths.append(path)
            stats.append(None)
            continue
        if racy(max(st.st_mtime_ns, st.st_ctime_ns), started_ns):
            return forget(file)  # changed while the run read it, or just before
        paths.append(path)
        stats.append(signature(st))
    rows = [(s.name, s.step, s.bindings, s.stage, s.transformation, s.result, s.captures)
            for s in states]
    order = None if reported == list(index) else [index[name] for name in reported]
    try:
        payload = marshal.dumps((FORMAT, code_signature(_CODE), list(workflow.source_files.items()),
                                 list(workflow.globs.items()), options.selection(), paths, stats,
                                 rows, order))
    except ValueError:
        return forget(file)
    from seamlessflow.storage.atomic import atomic_write_bytes

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(file, payload)
    except OSError:
        return False
    return True


def forget(file: Path) -> bool:
    """Remove the record: what it vouched for no longer holds, or cannot be known."""
    try:
        os.unlink(file)
    except OSError:
        pass
    return False
