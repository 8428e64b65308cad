"""How a step's command is launched: shared by every runner, so that a step behaves the
same in-process, in a worker pool or on a remote worker.

Every command runs as the leader of its own process group (a new session), so that a
timeout or a cancelled run can kill it *and* everything it started (`sleep 100 & wait`)
with one signal, and so that a Ctrl-C on the terminal reaches seamlessflow, which then
decides what to kill, rather than racing it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import warnings
import weakref
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from seamlessflow.errors import ExecutionError

TAIL_LINES = 20
_TAIL_BYTES = 64 * 1024  # enough for 20 long lines; never read a huge log whole

# Runs in a fresh interpreter: binds params and metavars as globals with their JSON types
# and executes the step's code from a file, so that tracebacks show the step's lines.
_PYTHON_BOOTSTRAP = """\
import json, sys
code_path, globals_path = sys.argv[1], sys.argv[2]
del sys.argv[1:]
with open(globals_path, encoding="utf-8") as f:
    namespace = json.load(f)
with open(code_path, encoding="utf-8") as f:
    source = f.read()
namespace.update(__name__="__main__", __file__=code_path)
exec(compile(source, code_path, "exec"), namespace)
"""


@dataclass(frozen=True)
class CommandSpec:
    """A fully prepared command: what to start, where, and where its output goes."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path
    stdout_path: Path | None  # None: stdout is discarded
    stderr_path: Path


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None  # None when the command was killed for its timeout
    timed_out: bool
    duration_s: float


def env_value(value: Any) -> str:
    """How a param looks to bash: what a shell user would type, not Python's repr."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(env_value(item) for item in value)
    return orjson.dumps(value).decode()


def command_environment(variables: dict[str, Any]) -> dict[str, str]:
    """The inherited environment plus every param and metavar as a string."""
    env = dict(os.environ)
    env.update({name: env_value(value) for name, value in variables.items()})
    return env


def prepare_command(
    language: str,
    code: str,
    variables: dict[str, Any],
    workspace: Path,
    private_dir: Path,
    capture_stdout: bool,
) -> CommandSpec:
    """Write the code into `private_dir` (outside the workspace, so the command's
    `ls` sees only its inputs) and say how to run it with the workspace as cwd.

    The code goes through a file, not `-c`, because Linux limits one argument to 128 KiB.
    """
    stdout_path = private_dir / "stdout" if capture_stdout else None
    stderr_path = private_dir / "stderr"
    if language == "bash":
        script = private_dir / "command.sh"
        script.write_text(code, encoding="utf-8")
        argv = ["bash", "-e", "-o", "pipefail", str(script)]
        env = command_environment(variables)
    elif language == "python":
        script = private_dir / "command.py"
        script.write_text(code, encoding="utf-8")
        globals_path = private_dir / "globals.json"
        globals_path.write_bytes(orjson.dumps(variables))
        argv = [sys.executable, "-c", _PYTHON_BOOTSTRAP, str(script), str(globals_path)]
        env = dict(os.environ)
    else:
        raise ExecutionError(f"unknown language '{language}' (expected bash or python)")
    return CommandSpec(argv, env, workspace, stdout_path, stderr_path)


def run_command(spec: CommandSpec, timeout: float | None) -> CommandResult:
    """Run to completion (or timeout) in this thread; for worker processes.

    Any exception while waiting (a SIGTERM turned into SystemExit, a KeyboardInterrupt)
    kills the whole process group before propagating, so no command outlives its caller.
    """
    start = time.monotonic()
    with _open_outputs(spec) as (stdout, stderr):
        proc = subprocess.Popen(
            spec.argv, cwd=spec.cwd, env=spec.env, stdin=subprocess.DEVNULL,
            stdout=stdout, stderr=stderr, start_new_session=True,
        )
    try:
        exit_code = proc.wait(timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        exit_code, timed_out = None, True
    except BaseException:
        kill_group(proc.pid)
        proc.wait()
        raise
    kill_group(proc.pid)  # leftovers: background jobs the command did not wait for
    if timed_out:
        proc.wait()
    return CommandResult(exit_code, timed_out, time.monotonic() - start)


async def run_command_async(spec: CommandSpec, timeout: float | None) -> CommandResult:
    """Like `run_command`, as an asyncio subprocess: many commands share one thread, and
    cancelling the awaiting task kills the process group and reaps it before re-raising."""
    start = time.monotonic()
    _reap_with_pidfds()
    with _open_outputs(spec) as (stdout, stderr):
        proc = await asyncio.create_subprocess_exec(
            *spec.argv, cwd=spec.cwd, env=spec.env, stdin=subprocess.DEVNULL,
            stdout=stdout, stderr=stderr, start_new_session=True,
        )
    try:
        exit_code: int | None = await asyncio.wait_for(proc.wait(), timeout)
        timed_out = False
    except asyncio.TimeoutError:
        exit_code, timed_out = None, True
    except BaseException:
        kill_group(proc.pid)
        await asyncio.shield(proc.wait())
        raise
    kill_group(proc.pid)
    if timed_out:
        await proc.wait()
    return CommandResult(exit_code, timed_out, time.monotonic() - start)


_pidfd_loops: weakref.WeakSet = weakref.WeakSet()


def _reap_with_pidfds() -> None:
    """Before 3.12, asyncio waits for each child in a thread of its own (one thread per
    command); a pidfd watcher waits in the event loop itself, which for a thousand short
    commands saves more time than the commands take. Where pidfds are missing (old
    kernels, other systems), asyncio's default stays."""
    if sys.version_info >= (3, 12):
        return  # the default is already pidfd-based where available
    loop = asyncio.get_running_loop()
    if loop in _pidfd_loops:
        return
    _pidfd_loops.add(loop)
    try:
        os.close(os.pidfd_open(os.getpid()))
        watcher = asyncio.PidfdChildWatcher()
        watcher.attach_loop(loop)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            asyncio.set_child_watcher(watcher)
    except (AttributeError, OSError, NotImplementedError):
        pass


def kill_group(pgid: int) -> None:
    """SIGKILL a process group; a group that is already gone is not an error."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def _open_outputs(spec: CommandSpec) -> Iterator[tuple[Any, BinaryIO]]:
    """The files the child writes to; the parent closes its copies once the child has them."""
    with ExitStack() as stack:
        stderr = stack.enter_context(open(spec.stderr_path, "wb"))
        stdout: Any = subprocess.DEVNULL
        if spec.stdout_path is not None:
            stdout = stack.enter_context(open(spec.stdout_path, "wb"))
        yield stdout, stderr


def describe_failure(result: CommandResult, timeout: float | None) -> str | None:
    """One line for the user, or None when the command succeeded."""
    if result.timed_out:
        return f"timed out after {timeout:g}s"
    code = result.exit_code
    if code == 0:
        return None
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last `lines` lines of a text file, reading only its end."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _TAIL_BYTES))
            data = f.read()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", errors="replace").rstrip("\n")
    return "\n".join(text.splitlines()[-lines:])
