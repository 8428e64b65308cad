"""Get bytes back that the store no longer holds, by re-running what produced them.

A result's bytes may be absent (a `scratch: true` step, a pruned store) while the
database still knows which transformation produced them. Because the transformation
dict, its code and its job details are kept by checksum, the transformation can be
executed again from its checksum alone, its own missing inputs first, recursively.
"""

from __future__ import annotations

import json

from seamlessflow.execution.job import Job
from seamlessflow.identity.seamless_bash import is_bash_transformation
from seamlessflow.runners.base import Runner
from seamlessflow.storage.interfaces import BufferStore, ResultDatabase

MAX_DEPTH = 100  # a chain of recomputations longer than this is surely a loop


async def fingertip(checksum: str, store: BufferStore, db: ResultDatabase, runner: Runner,
                    _depth: int = 0) -> bool:
    """True when the store holds `checksum` afterwards."""
    if store.has([checksum])[0]:
        return True
    if _depth > MAX_DEPTH:
        return False
    for tf_checksum in db.transformations_for(checksum):
        job = _job_for(tf_checksum, store, db)
        if job is None:
            continue
        if not await _inputs_available(job, store, db, runner, _depth):
            continue
        outcome = await runner.run(job)
        if outcome.ok and store.has([checksum])[0]:
            return True
    return False


def _job_for(tf_checksum: str, store: BufferStore, db: ResultDatabase) -> Job | None:
    raw_tf = store.get(tf_checksum)
    if raw_tf is None:
        return None
    transformation = json.loads(raw_tf)
    spec = (db.get_record(tf_checksum) or {}).get("job", {})
    bash = is_bash_transformation(transformation)
    if bash:  # its metavars are out of its identity: the record keeps them
        transformation.update(spec.get("pins", {}))
    code_cs = transformation.get("code", "")
    code = store.get(code_cs[2] if bash else code_cs)
    if code is None:
        return None
    return Job(
        name=f"fingertip:{tf_checksum[:12]}",
        checksum=tf_checksum,
        transformation=transformation,
        code=code.decode(),
        dir_inputs=list(spec.get("dir_inputs", [])),
        metavars=dict(spec.get("metavars", {})),
        timeout=spec.get("timeout"),
        captures=list(spec.get("captures", [])),
    )


async def _inputs_available(job: Job, store: BufferStore, db: ResultDatabase, runner: Runner,
                            depth: int) -> bool:
    for cs, is_dir in job.inputs().values():
        if not await fingertip(cs, store, db, runner, depth + 1):
            return False
        if is_dir:
            index = json.loads(store.get(cs) or b"{}")
            for file_cs in index.values():
                if not await fingertip(file_cs, store, db, runner, depth + 1):
                    return False
    return True
