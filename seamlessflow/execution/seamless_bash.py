"""Executing a Seamless bash transformation (identity/seamless_bash.py) as Seamless does.

A fresh folder gets every pin: a `bytes` pin as a file, a `mixed` pin as a folder, a
`str` pin as a file holding its text and, when its name can be one, an environment
variable. `/bin/bash` runs Seamless's header (`set -u -e` and a trap that kills
background jobs) then the code text, with the caller's environment. The result is
`RESULT`: a file's bytes, or a folder's deep index with every file a buffer. A failing
command, or a missing or empty `RESULT`, is a failure and nothing is stored as a result.

The folder, the command's process group and its stderr are the ones every seamlessflow
step uses (execution/workspace.py, command.py, stderr.py).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from seamlessflow.errors import SeamlessflowError, StoreError
from seamlessflow.execution.command import (
    CommandSpec,
    command_environment,
    describe_failure,
    run_command,
)
from seamlessflow.execution.stderr import Stderr
from seamlessflow.execution.workspace import inside, open_folder
from seamlessflow.identity.seamless_bash import HEADER, RESULT, pins
from seamlessflow.storage.interfaces import BufferStore
from seamlessflow.storage.trees import put_tree, write_tree

BASH = "/bin/bash"
_ENV_VALUE_MAX = 1000  # a longer str pin is a file only, as in Seamless


@dataclass
class BashOutcome:
    ok: bool
    result: str | None = None  # the result checksum
    index: dict[str, str] | None = None  # capture mode: path under RESULT -> checksum
    error: str | None = None
    stderr_tail: str = ""
    duration_s: float = 0.0


def execute_bash_transformation(name: str, tf: dict, store: BufferStore) -> BashOutcome:
    """Run `tf` once (`name` names its folder); every buffer it names must be in
    `store`, where its result's buffers are put."""
    started = time.monotonic()
    attempt = open_folder(name, None)
    stderr: Stderr | None = None
    try:
        try:
            code, env = _materialize(tf, store, attempt.workspace)
            stderr = Stderr(attempt.root)
        except (SeamlessflowError, OSError) as exc:
            return BashOutcome(False, error=f"could not prepare the workspace: {exc}",
                               duration_s=time.monotonic() - started)
        spec = CommandSpec([BASH, "-c", HEADER + code], command_environment(env, {}),
                           attempt.workspace, None)
        try:
            ran = run_command(spec, stderr, None)
        except OSError as exc:
            return BashOutcome(False, error=f"could not start {BASH}: {exc}",
                               duration_s=time.monotonic() - started)
        outcome = BashOutcome(False, error=describe_failure(ran, None))
        if outcome.error is None:
            try:
                outcome.result, outcome.index = _collect(attempt.workspace / RESULT, store)
                outcome.ok = True
            except (SeamlessflowError, OSError) as exc:
                outcome.error = str(exc)
        if not outcome.ok:
            outcome.stderr_tail = stderr.tail()
        outcome.duration_s = time.monotonic() - started
        return outcome
    finally:
        if stderr is not None:
            stderr.close()
        try:
            attempt.remove()
        except OSError:
            pass  # a leftover temp folder is harmless


def _materialize(tf: dict, store: BufferStore, workspace: Path) -> tuple[str, dict[str, str]]:
    """Write every pin; return the code text and the environment variables the pins add."""
    env: dict[str, str] = {}
    code = None
    for name, (celltype, checksum) in pins(tf).items():
        if name == "code":
            code = _text(store, checksum, name)
            continue
        dest = inside(workspace, name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if celltype == "bytes":
            if not store.write_to(checksum, dest):
                raise StoreError(f"input '{name}' ({checksum}) is not in the buffer store")
            os.chmod(dest, os.stat(dest).st_mode | 0o200)  # the command's own copy
        elif celltype == "mixed":
            write_tree(store, checksum, dest)
        elif celltype == "str":
            value = json.loads(_text(store, checksum, name))
            if not isinstance(value, str):
                raise StoreError(f"pin '{name}' ({checksum}) does not hold a string")
            text = value if value.endswith("\n") else value + "\n"
            dest.write_text(text, encoding="utf-8")
            if "." not in name and len(text) <= _ENV_VALUE_MAX:
                env[name] = text.rstrip("\n")
        else:
            raise StoreError(f"pin '{name}' has the celltype {celltype!r}, which bash "
                             "transformations here do not take")
    if code is None:
        raise StoreError("the transformation has no code")
    return code, env


def _text(store: BufferStore, checksum: str, name: str) -> str:
    data = store.get(checksum)
    if data is None:
        raise StoreError(f"pin '{name}' ({checksum}) is not in the buffer store")
    return data.decode("utf-8")


def _collect(result: Path, store: BufferStore) -> tuple[str, dict[str, str] | None]:
    """The result checksum of what the command left in RESULT (its index for a folder)."""
    if result.is_dir():
        checksum, index = put_tree(store, result)
        if not index:
            raise SeamlessflowError("nothing was captured: every captured folder is empty "
                                    "(an empty result is not recorded)")
        return checksum, index
    if not result.is_file():
        raise SeamlessflowError("the command left no RESULT")
    return store.put_file(result), None
