"""Walk the DAG as results become known: identity, cache lookup, dispatch, materialize.

Orchestration only: how one transformation runs is the runners' business, and what
the user sees is the reporters'. Cache lookups are batched: every instance whose
identity became computable at the same moment is looked up in one database request,
so a fully cached run costs one request per level of the DAG, not one per instance.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from seamlessflow.errors import ExecutionError, ResultConflict, SeamlessflowError
from seamlessflow.graph.dag import Dag, ProjectSource, StepSource
from seamlessflow.graph.model import Instance
from seamlessflow.identity.checksum import checksum_bytes, checksum_value, plain_serialize
from seamlessflow.identity.seamless_bash import META_PREFIX, BashTransformation
from seamlessflow.identity.shell_step import (
    captures_view,
    job_captures,
    result_of_files,
    shell_transformation,
)
from seamlessflow.identity.transformation import (
    STDOUT_KEY,
    build_transformation,
    transformation_checksum,
)
from seamlessflow.scheduling.changes import compare, describe, meaning
from seamlessflow.scheduling.fingertip import fingertip
from seamlessflow.scheduling.inputs import ProjectInputs
from seamlessflow.scheduling.outputs import MissingBytes, OutputWriter
from seamlessflow.scheduling.slots import slot_count
from seamlessflow.scheduling.state import (
    CACHED,
    FAILED,
    PENDING,
    RAN,
    SKIPPED,
    STARTED,
    WILL_RUN,
    InstanceState,
    Reporter,
    RunSummary,
)
from seamlessflow.storage.interfaces import BufferStore, ResultDatabase
from seamlessflow.storage.layers import Home, make_available
from seamlessflow.storage.trees import complete_in_store

if TYPE_CHECKING:  # imported when something executes: see run_without_loop
    import asyncio
    import concurrent.futures

    from seamlessflow.execution.job import Job
    from seamlessflow.runners.base import Runner
    from seamlessflow.scheduling.history import RunHistory
    from seamlessflow.scheduling.slots import Slots


@dataclass
class RunOptions:
    jobs: int = 1
    keep_going: bool = False
    force: set[str] = field(default_factory=set)  # instance names
    dry_run: bool = False
    keep_workspace: bool = False
    log_dir: Path | None = None
    memory: int | None = None  # bytes the running instances' `memory:` may sum to; None: any


class _Prepared(NamedTuple):  # made for every instance of every run: a tuple is cheap
    transformation: dict  # a shell step's Seamless bash transformation, or a Python step's
    checksum: str
    dir_inputs: list[str]
    project_inputs: list[tuple[str, bool]]  # (project path, is_dir) whose bytes must be stored
    origins: list[tuple[str, str | None]]  # per input: (project path, producing instance)
    inputs: dict[str, str]  # workspace path -> checksum
    bash: BashTransformation | None  # a shell step's transformation, with its buffers


class Scheduler:
    def __init__(
        self,
        dag: Dag,
        selected: list[str],
        stages: dict[str, str],
        runner_for: Callable[[str], Runner],
        store: BufferStore,
        db: ResultDatabase,
        inputs: ProjectInputs,
        outputs: OutputWriter,
        reporter: Reporter,
        options: RunOptions,
        history: RunHistory | None = None,
        home_for: Callable[[str], Home] | None = None,
    ):
        """`stages` maps each selected instance to its stage name; `runner_for(stage)`
        gives that stage's runner (created on first use). `store` and `db` are every
        place the run can read bytes and results from; `home_for(stage)` is where that
        stage's steps need their inputs' bytes and record their results (by default
        `store` and `db` themselves)."""
        self.dag = dag
        self.selected = selected
        self.runner_for = runner_for
        self.store = store
        self.db = db
        self.home_for = home_for or (lambda stage: Home(store, db))
        self.inputs = inputs
        self.outputs = outputs
        self.reporter = reporter
        self.options = options
        self.history = history
        self._prepared: dict[str, _Prepared] = {}  # for the history, at the end of a run
        instances = dag.workflow.instances
        self.states = {
            name: InstanceState(name, instances[name].step, instances[name].bindings,
                                stages[name])
            for name in selected
        }
        chosen = set(selected)
        self._waiting_on = {n: {u for u in dag.upstream[n] if u in chosen} for n in selected}
        self._results: dict[str, dict[str, str]] = {}  # instance -> result mapping
        self._inflight: dict[str, asyncio.Task] = {}  # transformation -> task running it
        self._first_of: dict[str, str] = {}  # transformation -> first instance that ran it
        # (code checksum, id(store)) -> its upload in this run, done or under way
        self._code_stored: dict[tuple[str, int], concurrent.futures.Future[None]] = {}
        self._slots: Slots | None = None  # made by `run`: only executing needs them
        self._uploading: asyncio.Semaphore | None = None  # likewise
        self._ready = [n for n in selected if not self._waiting_on[n]]  # to resolve next
        self._to_start: list[tuple[str, _Prepared]] = []  # resolved, must execute
        self._started = time.perf_counter()
        self._stop = False  # a failure without --keep-going: dispatch nothing new
        self._first_failure: str | None = None  # what stopped the run, without -k
        self._scratch_buffers: list[str] = []
        self._code_checksums: dict[str, str] = {}
        # instances whose recorded result their run replaces: forced, or its bytes are gone
        self._replacing: set[str] = set()

    # ---------------------------------------------------------------- the loop

    def run_without_loop(self) -> RunSummary | None:
        """The whole run when nothing has to execute (everything cached, or a dry run),
        without an event loop: then not even asyncio is imported, which was a fifth of a
        no-op run. None when something must execute: `run` goes on from there."""
        self._advance()
        return None if self._to_start else self._conclude(interrupted=False)

    async def run(self) -> RunSummary:
        import asyncio

        from seamlessflow.scheduling.slots import Slots

        self._slots = Slots(max(self.options.jobs, 1), self.options.memory)
        # instances storing their buffers ahead of a slot at once (see _execute)
        self._uploading = asyncio.Semaphore(max(self.options.jobs, 2))
        running: set[asyncio.Task] = set()
        # Finished tasks arrive here one by one; asyncio.wait(running) would instead
        # register a callback on every running task for every completion: quadratic in
        # a run of thousands of instances that all wait for a slot.
        finished: asyncio.Queue[asyncio.Task] = asyncio.Queue()
        interrupted = False
        try:
            while True:
                self._advance()
                for name, prep in self._to_start:
                    task = asyncio.create_task(self._execute(name, prep))
                    running.add(task)
                    task.add_done_callback(finished.put_nowait)
                self._to_start = []
                if not running:
                    break
                task = await finished.get()
                running.discard(task)
                name, ok = task.result()
                if ok:
                    self._ready.extend(self._release(name))
                elif not self.options.keep_going:
                    self._stop = True
        except asyncio.CancelledError:
            interrupted = True
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        finally:
            summary = self._conclude(interrupted)
        return summary

    def _advance(self) -> None:
        """Resolve ready instances batch by batch: a cached one releases its downstream
        at once, so this goes on until what is left must execute (`_to_start`) or waits
        for something that must. After a failure without -k nothing new is resolved."""
        while self._ready and not self._stop:
            batch, self._ready = self._ready, []
            self._to_start.extend(self._resolve(batch))

    def _conclude(self, interrupted: bool) -> RunSummary:
        self._finish_untouched()
        self._discard_scratch()
        self.outputs.save()
        self._record_history()
        summary = self._summary(time.perf_counter() - self._started, interrupted)
        self.reporter.on_finish(summary)
        return summary

    def _resolve(self, batch: list[str]) -> list[tuple[str, _Prepared]]:
        """Compute identities of `batch`, look them up at once, adopt what is cached
        (releasing its downstream into `_ready`); give back what must execute."""
        prepared = self._prepared
        for name in batch:
            try:
                prepared[name] = self._prepare(name)
            except (SeamlessflowError, OSError, KeyError) as exc:
                self._fail(name, f"cannot compute its identity: {exc}")
        batch = [n for n in batch if n in prepared]
        forced = {n for n in batch if n in self.options.force}
        lookup = [prepared[n].checksum for n in batch if n not in forced]
        known = self.db.get_results(lookup) if lookup else {}
        to_start = []
        for name in batch:
            prep = prepared[name]
            state = self.states[name]
            state.transformation = prep.checksum
            result_cs = None if name in forced else known.get(prep.checksum)
            if result_cs is not None and self._use_cached(name, prep, result_cs):
                if state.status == CACHED:
                    self._ready.extend(self._release(name))
                continue
            if result_cs is None:
                self._explain_rerun(state, prep, forced=name in forced)
            if name in forced or result_cs is not None:
                self._replacing.add(name)
            if self.options.dry_run:
                self._set(state, WILL_RUN)
                self._mark_pending(name)
                continue
            to_start.append((name, prep))
        return to_start

    def _use_cached(self, name: str, prep: _Prepared, result_cs: str) -> bool:
        """Adopt a recorded result; False when its bytes are gone and it must run again.
        True also when the project cannot take its outputs: the instance then failed."""
        state = self.states[name]
        keys = _result_keys(self.dag.workflow.instances[name])
        try:
            result = self._cached_view(prep, keys, result_cs)
        except SeamlessflowError as exc:
            state.reason = f"its recorded result cannot be read: {exc}"
            return False
        if result is None:
            state.reason = "its result was recorded but is missing from the buffer store"
            return False
        if not self.options.dry_run:
            try:
                self._write_outputs(name, prep.checksum, result, keys)
            except MissingBytes:
                state.reason = "its result's bytes are no longer in the buffer store"
                return False
            except (SeamlessflowError, OSError) as exc:
                self._fail(name, f"its result could not be written to the project: {exc}")
                return True
        self._adopt(name, result, result_cs, keys)
        state.reason = "cached result"
        self._set(state, CACHED)
        return True

    def _cached_view(self, prep: _Prepared, keys: list[tuple[str, str, bool]],
                     result_cs: str) -> dict[str, str] | None:
        """What a recorded result holds, key by key (see identity/shell_step.py); None
        when the store lacks what tells it. As far as the project's own record of what
        it wrote can tell it (proven by the result checksum), no buffer is read."""
        recorded = self.outputs.recorded_checksums(keys)
        if prep.bash is None:
            if recorded is not None and checksum_value(recorded) == result_cs:
                return recorded
            raw = self.store.get(result_cs)
            return None if raw is None else json.loads(raw)
        if not prep.bash.capture_mode:
            view = {STDOUT_KEY: result_cs}
        elif recorded is not None and not any(is_dir for _, _, is_dir in keys) \
                and result_of_files(recorded) == result_cs:
            view = recorded
        else:
            raw = self.store.get(result_cs)
            if raw is None:
                return None
            view, buffers = captures_view([(key, is_dir) for key, _, is_dir in keys],
                                          result_cs, json.loads(raw))
            if not self.options.dry_run:  # a dry run writes nothing, not even into the store
                for buffer in buffers.values():
                    self.store.put(buffer)
        if _EMPTY in view.values() and not self.options.dry_run:
            self.store.put(b"")  # Seamless records an empty file without storing it
        return view

    # ---------------------------------------------------------------- identity

    def _prepare(self, name: str) -> _Prepared:
        inst = self.dag.workflow.instances[name]
        inputs: dict[str, str] = {}
        pins: list[tuple[str, str, bool]] = []
        dir_inputs: list[str] = []
        project_inputs: list[tuple[str, bool]] = []
        origins: list[tuple[str, str | None]] = []
        for item, source in zip(inst.inputs, self.dag.sources[name], strict=True):
            if isinstance(source, ProjectSource):
                cs = self.inputs.checksum(source.path, item.is_dir)
                project_inputs.append((source.path, item.is_dir))
                origins.append((source.path, None))
            else:
                cs = self._upstream_checksum(source, item.is_dir)
                origins.append((self.dag.produced_path(source), source.instance))
            inputs[item.workspace_path] = cs
            pins.append((item.workspace_path, cs, item.is_dir))
            if item.is_dir:
                dir_inputs.append(item.workspace_path)
        if inst.language == "bash":
            bash = shell_transformation(
                inst.code, pins, inst.params, inst.metavars,
                [(c.workspace_path, c.is_dir) for c in inst.captures], inst.stdout is not None)
            return _Prepared(bash.transformation, bash.checksum, dir_inputs, project_inputs,
                             origins, inputs, bash)
        captures = [c.workspace_path + ("/" if c.is_dir else "") for c in inst.captures]
        tf = build_transformation(
            inst.language,
            self._code_checksum(inst.code),
            inputs,
            inst.params,
            captures,
            inst.stdout is not None,
        )
        return _Prepared(tf, transformation_checksum(tf), dir_inputs, project_inputs, origins,
                         inputs, None)

    def _meaning(self, name: str, prep: _Prepared) -> dict:
        """What the transformation of `name` means, for the history and its reasons."""
        inst = self.dag.workflow.instances[name]
        inputs = {item.workspace_path: (path, prep.inputs[item.workspace_path], producer)
                  for item, (path, producer) in zip(inst.inputs, prep.origins, strict=True)}
        captures = [c.workspace_path + ("/" if c.is_dir else "") for c in inst.captures]
        return meaning(inst.language, self._code_checksum(inst.code), inst.params, inputs,
                       captures, inst.stdout is not None)

    def _explain_rerun(self, state: InstanceState, prep: _Prepared, forced: bool) -> None:
        """The reason `state` must run: what changed since its last recorded run."""
        now = self._meaning(state.name, prep)
        before, code_before = (None, None) if self.history is None \
            else self.history.last(state.name)
        changes = compare(before, now, code_before,
                          self.dag.workflow.instances[state.name].code,
                          failed_before=before is not None
                          and self.history.last_failed(state.name))
        if forced:
            changes = [{"kind": "forced"}] + [c for c in changes if c["kind"] != "new"]
        state.changes = changes
        state.reason = describe(changes) if changes else \
            "no cached result (nothing changed since its last run)"

    def _own_changes(self, name: str) -> list[dict]:
        """What changed in a pending instance itself (params, code, captures) since its
        last run: its inputs are not known yet. Nothing for one that never ran."""
        if self.history is None:
            return []
        before, code_before = self.history.last(name)
        if before is None:
            return []
        inst = self.dag.workflow.instances[name]
        captures = [c.workspace_path + ("/" if c.is_dir else "") for c in inst.captures]
        now = meaning(inst.language, self._code_checksum(inst.code), inst.params,
                      before.get("inputs", {}), captures, inst.stdout is not None)
        return compare(before, now, code_before, inst.code,
                       failed_before=self.history.last_failed(name))

    def _record_history(self) -> None:
        """Remember what each instance that ran, was cached or failed ran as (not in a
        dry run), so that the next run can say what changed since, or that it failed."""
        if self.history is None or self.options.dry_run:
            return
        instances = self.dag.workflow.instances
        for name in self.selected:
            state = self.states[name]
            prep = self._prepared.get(name)
            failed = state.status == FAILED
            if not (failed or state.status in (RAN, CACHED)) or prep is None \
                    or self.history.recorded(name) == (prep.checksum, failed):
                continue
            now = self._meaning(name, prep)
            changes = state.changes
            if changes is None:  # adopted from the cache: compared only now
                before, code_before = self.history.last(name)
                changes = compare(before, now, code_before, instances[name].code)
            self.history.record(name, prep.checksum, now, instances[name].code, changes,
                                failed=failed)
        self.history.save(instances)

    def _code_checksum(self, code: str) -> str:
        """Every instance of a step shares its code text: hashed once per step."""
        cs = self._code_checksums.get(code)
        if cs is None:
            cs = self._code_checksums[code] = checksum_bytes(code.encode())
        return cs

    def _upstream_checksum(self, source: StepSource, is_dir: bool) -> str:
        result = self._results[source.instance]
        key = source.capture
        if key not in result and key + "/" in result:
            key += "/"
        cs = result[key]
        if not source.subpath:
            return cs
        raw = self.store.get(cs)
        if raw is None:
            raise SeamlessflowError(f"the index of {source.instance}'s {key} is not in the store")
        index: dict[str, str] = json.loads(raw)
        if not is_dir:
            if source.subpath not in index:
                raise SeamlessflowError(
                    f"{source.instance} did not produce {source.subpath} inside {key}"
                )
            return index[source.subpath]
        prefix = source.subpath + "/"
        sub = {k[len(prefix):]: v for k, v in index.items() if k.startswith(prefix)}
        if self.options.dry_run:  # a dry run writes nothing, not even into the store
            return checksum_bytes(plain_serialize(sub))
        return self.store.put(plain_serialize(sub))  # the sub-index is what a workspace reads

    # ---------------------------------------------------------------- execution

    async def _execute(self, name: str, prep: _Prepared) -> tuple[str, bool]:
        import asyncio

        from seamlessflow.execution.job import JobOutcome
        from seamlessflow.execution.offload import in_process, small, to_completion

        assert self._slots is not None and self._uploading is not None  # `run` made them
        state = self.states[name]
        inst = self.dag.workflow.instances[name]
        first = self._inflight.get(prep.checksum)
        if first is not None:  # an identical transformation is already running: share it
            _, ok = await asyncio.shield(first)
            if ok:
                result_cs = self.states[self._first_of[prep.checksum]].result
                self._use_cached(name, prep, result_cs)
                state.reason = f"same transformation as {self._first_of[prep.checksum]}"
                return name, state.status == CACHED
            self._fail(name, f"same transformation as {self._first_of[prep.checksum]}, which failed")
            return name, False
        self._inflight[prep.checksum] = asyncio.current_task()
        self._first_of[prep.checksum] = name
        home = self.home_for(state.stage)
        # A store behind the network gets the job's buffers before the job waits for a
        # slot: the round trips of the next few jobs overlap the running ones.
        ahead = not in_process(home.store)
        if ahead and not self._stop:
            try:
                async with self._uploading:
                    await self._store_job_buffers(name, prep, home.store)
            except (SeamlessflowError, OSError) as exc:
                self._fail(name, str(exc))
                return name, False
        async with self._slots.hold(slot_count(inst, self.options.jobs), inst.memory):
            if self._stop:
                self._set_skip(state, self._not_started())
                return name, False
            runner = self.runner_for(state.stage)
            state.runner = runner.name
            try:
                await self._ensure_upstream_bytes(name, prep, runner, home.store)
                if not ahead:
                    await self._store_job_buffers(name, prep, home.store)
                job = self._make_job(name, prep)
            except (SeamlessflowError, OSError) as exc:
                self._fail(name, str(exc))
                return name, False
            state.started_at = time.time()
            self._set(state, STARTED)
            outcome = JobOutcome(ok=False)
            attempts, restored = inst.retries + 1, False
            while state.attempts < attempts:
                state.attempts += 1
                outcome = await runner.run(job)
                if outcome.ok:
                    break
                if not restored:
                    try:
                        restored = await self._restore_inputs(name, prep, runner, home.store)
                    except (SeamlessflowError, OSError) as exc:
                        outcome = JobOutcome(ok=False, error=str(exc))
                        break
                    if restored:  # the attempt lacked bytes, not the command: once more
                        attempts += 1
            state.duration_s = outcome.duration_s
            state.ended_at = time.time()
            if not outcome.ok and not self.options.keep_going:
                # before the slot is released, so that no waiting instance starts after it
                self._stop = True
        if not outcome.ok:
            state.stderr_tail = outcome.stderr_tail
            state.log_path = outcome.log_path
            state.workspace = outcome.workspace
            state.rerun = outcome.rerun
            self._fail(name, (outcome.error or "failed") + self._declared_at(inst, outcome.capture))
            return name, False
        keys = _result_keys(inst)
        if prep.bash is None:
            result = outcome.result or {}
        else:
            try:  # the folders' own indexes were stored with the result
                result = captures_view([(key, is_dir) for key, _, is_dir in keys],
                                       outcome.result_checksum, outcome.result)[0]
            except SeamlessflowError as exc:
                self._fail(name, str(exc))
                return name, False
        record = {
            "instance": name,
            "step": inst.step,
            "runner": runner.name,
            "duration_s": outcome.duration_s,
            "finished_at": time.time(),
            "job": {"dir_inputs": job.dir_inputs, "metavars": job.metavars,
                    "timeout": job.timeout, "captures": job.captures,
                    "pins": _meta_pins(prep.transformation)},
        }

        def record_and_write() -> str | None:
            """The result (every byte it names is stored by now) in the database of the
            stage's home, then the project's copies; what went wrong, if anything. A
            result it replaces leaves every database, so that no other home's copy of it
            is found first next time."""
            try:
                if name in self._replacing and self.db is not home.db:
                    self.db.forget(prep.checksum)
                home.db.set_result(prep.checksum, outcome.result_checksum, captures=result,
                                   record=record, overwrite=name in self._replacing)
            except ResultConflict as exc:  # another run recorded its own result meanwhile
                return f"{exc}; its step gave another result before, so it may not give " \
                       f"the same result every time (run --force {name} to record this one)"
            try:
                self._write_outputs(name, prep.checksum, result, keys)
            except (MissingBytes, SeamlessflowError, OSError) as exc:
                return f"its result could not be written to the project: {exc}"
            return None

        # Small results on the event loop; big ones (or a store or database behind the
        # network) in a thread, which a Ctrl-C waits for so that the outputs record is
        # never saved while it is being changed.
        if in_process(self.store, home.db) and not any(c.is_dir for c in inst.captures) \
                and small(self.store.lengths(result.values())):
            write_error = record_and_write()
        else:
            write_error = await to_completion(record_and_write)
        self._adopt(name, result, outcome.result_checksum, keys)
        if write_error is not None:
            self._fail(name, write_error)
            return name, False
        if inst.scratch:
            self._scratch_buffers.extend(result.values())
        self._set(state, RAN)
        return name, True

    async def _ensure_upstream_bytes(self, name: str, prep: _Prepared, runner: Runner,
                                     store: BufferStore) -> None:
        """Put the bytes of upstream results into `store`, the home of the stage that
        runs `name`, from wherever the run's stores hold them. Upstream results of
        scratch steps keep no bytes: take them from the project file when it still
        matches, else recompute them (fingertip)."""
        inst = self.dag.workflow.instances[name]
        upstream = [(item, source, prep.inputs[item.workspace_path])
                    for item, source in zip(inst.inputs, self.dag.sources[name], strict=True)
                    if isinstance(source, StepSource)]
        # one question for every plain file (a join of N steps: one request, not N)
        files = [cs for item, _, cs in upstream if not item.is_dir]
        held = {cs for cs, ok in zip(files, store.has(files) if files else [], strict=True) if ok}
        for item, source, cs in upstream:
            if cs in held or self._bring(cs, item.is_dir, store):
                continue
            if not (self.outputs.adopt_local(self.dag.produced_path(source), cs, item.is_dir)
                    and self._bring(cs, item.is_dir, store)) \
                    and not (await fingertip(cs, store, self.db, runner)
                             and complete_in_store(store, cs, item.is_dir)):
                raise ExecutionError(
                    f"input '{item.workspace_path}' ({cs}) from {source.instance} is in no "
                    f"buffer store and could not be recomputed; run with --force {source.instance}"
                )
            if self.dag.workflow.instances[source.instance].scratch:
                # brought back only for this run: a scratch result keeps no bytes afterwards
                self._scratch_buffers.append(cs)
                if item.is_dir:
                    self._scratch_buffers.extend(json.loads(self.store.get(cs) or b"{}").values())

    def _bring(self, checksum: str, is_dir: bool, store: BufferStore) -> bool:
        """Whether `store` holds the bytes, copied there (uploaded to a cluster's
        hashserver, or fetched into the local folder) from another of the run's stores
        when it lacked them."""
        if complete_in_store(store, checksum, is_dir):
            return True
        return store is not self.store and make_available(self.store, store, checksum, is_dir)

    async def _restore_inputs(self, name: str, prep: _Prepared, runner: Runner,
                              store: BufferStore) -> bool:
        """Whether an input's bytes went missing from `store` during a failed attempt
        and were put back. A buffer found corrupt while the workspace was built is dropped
        from the store (the attempt then fails); a project input is stored again from
        its file, an upstream result as before the attempt."""
        import asyncio

        dir_inputs = set(prep.dir_inputs)
        if all(complete_in_store(store, cs, path in dir_inputs)
               for path, cs in prep.inputs.items()):
            return False
        for path, is_dir in prep.project_inputs:
            await asyncio.to_thread(self.inputs.ensure_in_store, path, is_dir, True, store)
        await self._ensure_upstream_bytes(name, prep, runner, store)
        return True

    async def _store_job_buffers(self, name: str, prep: _Prepared, store: BufferStore) -> None:
        """A few small project files are copied into a local store on the event loop;
        anything bigger, or a store behind the network, in threads, each buffer in its
        own, side by side (see execution/offload.py)."""
        import asyncio

        from seamlessflow.execution.offload import file_sizes, in_process, small

        uploads = self._job_buffers(name, prep, store)
        if in_process(store) and small(file_sizes(self.inputs.root, prep.project_inputs)):
            for upload in uploads:
                upload()
        else:
            await asyncio.gather(*(asyncio.to_thread(upload) for upload in uploads))

    def _job_buffers(self, name: str, prep: _Prepared,
                     store: BufferStore) -> list[Callable[[], object]]:
        """What puts the job's buffers into `store` (the home of its stage): its project
        inputs, its code, its transformation. Each is independent of the others, so a
        store behind the network takes them concurrently. A step's code is the same for
        all its instances: it is stored once per run and store, and an instance that
        comes while it is being stored waits for that upload (or its failure)."""
        import concurrent.futures
        import functools

        inst = self.dag.workflow.instances[name]
        uploads: list[Callable[[], object]] = [
            functools.partial(self.inputs.ensure_in_store, path, is_dir, store=store)
            for path, is_dir in prep.project_inputs]
        if prep.bash is not None:  # its code and variables, then its identity
            code_cs = prep.transformation["code"][2]
            code = prep.bash.buffers[code_cs]
            uploads.extend(functools.partial(store.put, buffer)
                           for cs, buffer in prep.bash.buffers.items() if cs != code_cs)
            identity = prep.bash.identity_buffer
        else:
            code_cs, code = prep.transformation["code"], inst.code.encode()
            identity = plain_serialize(prep.transformation)
        code_key = (code_cs, id(store))
        stored = self._code_stored.get(code_key)
        if stored is not None and not (stored.done() and stored.exception() is not None):
            uploads.append(stored.result)
        else:
            stored = self._code_stored[code_key] = concurrent.futures.Future()

            def put_code() -> None:
                try:
                    store.put(code)
                except BaseException as exc:
                    stored.set_exception(exc)
                    raise
                stored.set_result(None)
            uploads.append(put_code)
        uploads.append(functools.partial(store.put, identity))
        return uploads

    def _make_job(self, name: str, prep: _Prepared) -> Job:
        """Everything a runner needs; its buffers are stored by now (_job_buffers)."""
        from seamlessflow.execution.job import Job
        from seamlessflow.execution.logs import log_file_name

        inst = self.dag.workflow.instances[name]
        log_path = None
        if self.options.log_dir is not None:
            self.options.log_dir.mkdir(parents=True, exist_ok=True)
            log_path = str(self.options.log_dir / log_file_name(name))
        origin = None if inst.code_pos is None else \
            [inst.code_pos.file_in_project(self.dag.workflow.root), inst.code_pos.line]
        bash = prep.bash
        if bash is None:
            return Job(name=name, checksum=prep.checksum, transformation=prep.transformation,
                       code=inst.code, dir_inputs=prep.dir_inputs,
                       metavars=dict(inst.metavars), timeout=inst.timeout,
                       cores=slot_count(inst, self.options.jobs), memory=inst.memory,
                       log_path=log_path, keep_workspace=self.options.keep_workspace,
                       code_origin=origin)
        captures = job_captures([(c.workspace_path, c.is_dir) for c in inst.captures],
                                inst.stdout is not None)
        if origin is not None:  # the line of the code text's first line, before the command's
            origin[1] -= bash.command_line - 1
        return Job(name=name, checksum=prep.checksum, transformation=prep.transformation,
                   code=bash.code, dir_inputs=prep.dir_inputs, timeout=inst.timeout,
                   cores=slot_count(inst, self.options.jobs), memory=inst.memory,
                   log_path=log_path, keep_workspace=self.options.keep_workspace,
                   code_origin=origin, captures=captures,
                   texts={cs: buffer.decode() for cs, buffer in bash.buffers.items()})

    # ---------------------------------------------------------------- bookkeeping

    def _adopt(self, name: str, result: dict[str, str], result_cs: str,
               keys: list[tuple[str, str, bool]]) -> None:
        """`name` produced `result` (named by `result_cs`), cached or just run: its
        downstream reads it, its state reports it."""
        self._results[name] = result
        state = self.states[name]
        state.result = result_cs
        state.captures = {path: result[key] for key, path, _ in keys}

    def _write_outputs(self, name: str, tf_checksum: str, result: dict[str, str],
                       keys: list[tuple[str, str, bool]]) -> None:
        for key, path, is_dir in keys:
            self.outputs.write(path, result[key], is_dir, tf_checksum, name)

    def _release(self, name: str) -> list[str]:
        """Downstream instances whose last missing input `name` just provided."""
        freed = []
        for down in self.dag.downstream.get(name, []):
            waiting = self._waiting_on.get(down)
            if waiting is None or name not in waiting:
                continue
            waiting.discard(name)
            if not waiting:
                freed.append(down)
        return freed

    def _mark_pending(self, name: str) -> None:
        """Everything downstream of `name` is pending; a part already marked by another
        will-run instance is not walked again (in a fan of 5,000 into one, each would
        walk to the join)."""
        stack = [name]
        while stack:
            for down in self.dag.downstream.get(stack.pop(), ()):
                state = self.states.get(down)
                if state is None or state.status in (PENDING, WILL_RUN, CACHED):
                    continue
                state.reason = f"depends on {name}, whose result is not yet known"
                changes = self._own_changes(down)
                if changes:
                    state.changes = changes
                    state.reason += f"; {describe(changes)}"
                self._set(state, PENDING)
                stack.append(down)

    def _skip_downstream(self, name: str) -> None:
        for down in self._downstream_closure(name):
            state = self.states[down]
            if state.status in (FAILED, SKIPPED, RAN, CACHED):
                continue
            self._set_skip(state, f"{name} failed")

    def _downstream_closure(self, name: str) -> list[str]:
        seen: list[str] = []
        stack = [name]
        visited = {name}
        while stack:
            for down in self.dag.downstream.get(stack.pop(), []):
                if down in self.states and down not in visited:
                    visited.add(down)
                    seen.append(down)
                    stack.append(down)
        return seen

    def _finish_untouched(self) -> None:
        """Instances never reached (a failure stopped the run, or Ctrl-C) end as skipped."""
        for state in self.states.values():
            if state.status in ("planned", STARTED):
                reason = "interrupted" if state.status == STARTED else self._not_started()
                self._set_skip(state, reason)

    def _not_started(self) -> str:
        """Why an instance that nothing stopped directly never started."""
        if self._first_failure is None or self.options.keep_going:
            return "not started"
        return f"not started: the run stopped when {self._first_failure} failed"

    def _declared_at(self, inst: Instance, capture: str | None) -> str:
        """Where the Seamlessfile declares the capture a failure is about: " (declared
        at Seamlessfile:5:15)", or "" when it is about none."""
        if capture is None:
            return ""
        for item in inst.captures:
            if item.workspace_path == capture.rstrip("/"):
                return f" (declared at {item.pos.in_project(self.dag.workflow.root)})"
        return ""

    def _discard_scratch(self) -> None:
        discard = getattr(self.store, "discard", None)
        if discard is None:
            return
        for cs in self._scratch_buffers:
            discard(cs)

    def _fail(self, name: str, error: str) -> None:
        """`name` failed: so does everything downstream of it, which is skipped."""
        state = self.states[name]
        state.error = error
        state.reason = error
        if self._first_failure is None:
            self._first_failure = name
        self._set(state, FAILED)
        self._skip_downstream(name)

    def _set_skip(self, state: InstanceState, reason: str) -> None:
        state.reason = reason
        self._set(state, SKIPPED)

    def _set(self, state: InstanceState, status: str) -> None:
        state.status = status
        self.reporter.on_event(state)

    def _summary(self, duration: float, interrupted: bool) -> RunSummary:
        states = [self.states[n] for n in self.selected]
        return RunSummary.of(states, duration, self.options.dry_run, interrupted)


_EMPTY = checksum_bytes(b"")


def _meta_pins(tf: dict) -> dict:
    """A bash transformation's META__ pins: out of its identity, so out of the buffer
    stored under its checksum, but needed to run it again from that (fingertip)."""
    return {key: value for key, value in tf.items() if key.startswith(META_PREFIX)}


def _result_keys(inst: Instance) -> list[tuple[str, str, bool]]:
    """(key in the result mapping, project path, is_dir) of everything an instance writes."""
    keys = [(c.workspace_path + ("/" if c.is_dir else ""), c.project_path, c.is_dir)
            for c in inst.captures]
    if inst.stdout is not None:
        keys.append((STDOUT_KEY, inst.stdout, False))
    return keys

