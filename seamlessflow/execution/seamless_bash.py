"""Executing a Seamless bash transformation (identity/seamless_bash.py) as Seamless does,
inside a Job (execution/execute.py runs it, on any runner).

A fresh folder gets every pin: a `bytes` pin as a file, a `mixed` pin as a folder, a
`str` pin as an environment variable (and for `exec`, as in Seamless, a file holding
its text). `/bin/bash` runs Seamless's header (`set -u -e` and a trap that kills
background jobs; a step adds `pipefail`) then the code text, with the caller's
environment. The result is `RESULT`: a file's bytes, or a folder's deep index with every
file a buffer. A failing command, or a missing or empty `RESULT`, is a failure and
nothing is stored as a result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from seamlessflow.errors import SeamlessflowError, StoreError
from seamlessflow.execution.capture import CaptureError, missing_capture
from seamlessflow.execution.job import Job
from seamlessflow.execution.workspace import inside
from seamlessflow.identity.checksum import checksum_bytes, plain_serialize
from seamlessflow.identity.deep import deep_index
from seamlessflow.identity.seamless_bash import RESULT, STDOUT, BashTransformation, pins
from seamlessflow.storage.interfaces import BufferStore

_ENV_VALUE_MAX = 1000  # a longer str pin is a file only, as in Seamless


def exec_job(tf: BashTransformation, targets: list[str]) -> Job:
    """The Job of `seamlessflow exec`: the transformation run exactly as Seamless runs
    it (no pipefail; each str pin a file too), its targets of either kind (a `-cp`
    does not say whether it names a file or a folder)."""
    return Job(name="exec", checksum=tf.checksum, transformation=tf.transformation,
               code=tf.code, captures=list(targets),
               texts={cs: buffer.decode() for cs, buffer in tf.buffers.items()},
               pipefail=False, seamless_pins=True)


def pin_variables(values: dict[str, str], seamless_pins: bool, workspace: Path
                  ) -> dict[str, str]:
    """The environment variables of the str pins (their values without trailing
    newlines). With `seamless_pins`, as Seamless has them: each also a file in the
    workspace, and a variable only when its name can be one and its text is short."""
    if not seamless_pins:
        return {name: value.rstrip("\n") for name, value in values.items()}
    env = {}
    for name, value in values.items():
        text = value if value.endswith("\n") else value + "\n"
        dest = inside(workspace, name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
        if "." not in name and len(text) <= _ENV_VALUE_MAX:
            env[name] = text.rstrip("\n")
    return env


def _text(store: BufferStore, checksum: str, name: str) -> str:
    data = store.get(checksum)
    if data is None:
        raise StoreError(f"pin '{name}' ({checksum}) is not in the buffer store")
    return data.decode("utf-8")


def step_pins(tf: dict, texts: dict[str, str], store: BufferStore
              ) -> tuple[str, dict[str, str], dict[str, tuple[str, bool]]]:
    """(the code text, the values of the `str` pins, the file and folder inputs: path ->
    (checksum, is a folder)). Small buffers come from `texts` when they are there and
    match their checksums, else from the store."""
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
            env[name] = value
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
                        link: bool, kinds: bool = True) -> tuple[str, dict[str, str] | None]:
    """(result checksum, the capture-mode mapping or None) of what a step's command
    left in RESULT, every file stored (hard-linked where `link`). With `kinds`, each
    capture must be of the kind declared (a folder's with "/"); a folder capture's own
    index is stored too, so that its deep checksum can be rebuilt on its own."""
    result = workspace / RESULT
    if not captures:
        if not result.is_file():
            raise SeamlessflowError("the command left no RESULT")
        return store.put_file(result, hardlink=link), None
    for capture in captures if kinds else ():
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
