"""Executing a Seamless bash transformation (identity/seamless_bash.py) as Seamless does.

A fresh folder gets every pin: a `bytes` pin as a file, a `mixed` pin as a folder, a
`str` pin as a file holding its text and, when its name can be one, an environment
variable. `/bin/bash` runs Seamless's header (`set -u -e` and a trap that kills
background jobs) then the code text, with the caller's environment. The result is
`RESULT`: a file's bytes, or a folder's deep index with every file a buffer. A failing
command, or a missing or empty `RESULT`, is a failure and nothing is stored as a result.

The folder, the command's process group and its stderr are the ones every seamlessflow
step uses (execution/workspace.py, command.py, stderr.py). A step's Job runs its bash
transformation through execution/execute.py, with what is here: its pins
(`step_pins`) and its result (`collect_step_result`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from seamlessflow.errors import SeamlessflowError, StoreError
from seamlessflow.execution.capture import CaptureError, missing_capture
from seamlessflow.execution.command import (
    CommandSpec,
    command_environment,
    describe_failure,
    run_command,
)
from seamlessflow.execution.stderr import Stderr
from seamlessflow.execution.workspace import inside, open_folder
from seamlessflow.identity.checksum import checksum_bytes, plain_serialize
from seamlessflow.identity.deep import deep_index
from seamlessflow.identity.seamless_bash import HEADER, RESULT, STDOUT, pins
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


def step_pins(tf: dict, texts: dict[str, str], store: BufferStore
              ) -> tuple[str, dict[str, str], dict[str, tuple[str, bool]]]:
    """(the code text, the environment variables of the `str` pins, the file and folder
    inputs: path -> (checksum, is a folder)). Small buffers come from `texts` when they
    are there and match their checksums, else from the store. Unlike `seamless-run`,
    a `str` pin is an environment variable only, not also a file in the workspace."""
    def text(name: str, checksum: str) -> str:
        inline = texts.get(checksum)
        if inline is not None and checksum_bytes(inline.encode()) == checksum:
            return inline
        return _text(store, checksum, name)

    code = None
    env: dict[str, str] = {}
    inputs: dict[str, tuple[str, bool]] = {}
    for name, (celltype, checksum) in pins(tf).items():
        if name == "code":
            code = text(name, checksum)
        elif celltype in ("bytes", "mixed"):
            inputs[name] = (checksum, celltype == "mixed")
        elif celltype == "str":
            value = json.loads(text(name, checksum))
            if not isinstance(value, str):
                raise StoreError(f"pin '{name}' ({checksum}) does not hold a string")
            env[name] = value.rstrip("\n")
        else:
            raise StoreError(f"pin '{name}' has the celltype {celltype!r}, which bash "
                             "transformations here do not take")
    if code is None:
        raise StoreError("the transformation has no code")
    return code, env, inputs


def moved_capture_error(workspace: Path, captures: list[str]) -> CaptureError | None:
    """After a failed `mv` of the code: the first capture the command did not leave."""
    for capture in captures:
        name = capture.rstrip("/")
        if not os.path.lexists(workspace / RESULT / name):
            if name == STDOUT:
                return None
            return missing_capture(workspace, capture, hidden=RESULT)
    return None


def collect_step_result(workspace: Path, captures: list[str], store: BufferStore,
                        link: bool) -> tuple[str, dict[str, str] | None]:
    """(result checksum, the capture-mode mapping or None) of what a step's command
    left in RESULT, every file stored (hard-linked where `link`). Each capture must be
    of the kind declared; a folder capture's own index is stored too, so that its
    deep checksum can be rebuilt on its own."""
    result = workspace / RESULT
    if not captures:
        if not result.is_file():
            raise SeamlessflowError("the command left no RESULT")
        return store.put_file(result, hardlink=link), None
    for capture in captures:
        name = capture.rstrip("/")
        path = result / name
        if capture.endswith("/") and not path.is_dir():
            raise CaptureError(f"capture '{capture}' should be a directory, but is a file",
                               capture)
        if not capture.endswith("/") and path.is_dir():
            raise CaptureError(f"capture '{capture}' should be a file, but is a directory",
                               capture)
    index = deep_index(result, hasher=lambda path: store.put_file(path, hardlink=link))
    if not index:
        raise SeamlessflowError("nothing was captured: every captured folder is empty "
                                "(an empty result is not recorded)")
    for capture in captures:
        if capture.endswith("/"):
            prefix = capture
            store.put(plain_serialize({k[len(prefix):]: cs for k, cs in index.items()
                                       if k.startswith(prefix)}))
    return store.put(plain_serialize(index)), index
