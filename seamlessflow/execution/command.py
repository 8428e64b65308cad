"""How a step's command is launched: shared by every runner, so that a step behaves the
same in-process, in a worker pool or on a remote worker.

Every command runs as the leader of its own process group (a new session), so that a
timeout or a cancelled run can kill it *and* everything it started (`sleep 100 & wait`)
with one signal, and so that a Ctrl-C on the terminal reaches seamlessflow, which then
decides what to kill, rather than racing it.

A short step is mostly file-system work: every file it creates costs an inode, and on
a busy ext4 without a journal an inode costs more than starting bash. So a small bash
script travels as `-c` (no script file) and stderr goes to a memfd (see `stderr`);
both are written beside the workspace only for an attempt kept for debugging.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from seamlessflow.errors import ExecutionError
from seamlessflow.execution.stderr import MEMFD, Stderr
from seamlessflow.execution.variables import env_value
from seamlessflow.identity.seamless_bash import HEADER

# Linux limits one argument to 128 KiB (MAX_ARG_STRLEN); above this, a script file.
INLINE_SCRIPT_LIMIT = 64 * 1024

# Runs in a fresh interpreter: binds params and metavars as globals with their JSON types
# and executes the step's code from a file. The code is compiled under the Seamlessfile's
# name, shifted to its lines there, and its text is given to linecache: a traceback then
# shows `File "Seamlessfile", line 27` and the line itself, not a deleted temp file.
_PYTHON_BOOTSTRAP = """\
import json, linecache, sys
code_path, globals_path, shown, first = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
del sys.argv[1:]
with open(globals_path, encoding="utf-8") as f:
    namespace = json.load(f)
with open(code_path, encoding="utf-8") as f:
    source = "\\n" * (int(first) - 1) + f.read()
linecache.cache[shown] = (len(source), None, source.splitlines(True), shown)
namespace.update(__name__="__main__", __file__=code_path)
try:
    exec(compile(source, shown, "exec"), namespace)
except (SystemExit, KeyboardInterrupt):
    raise
except BaseException as exc:  # told from the step's own frame on, by linecache
    import traceback
    traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
    sys.exit(1)
"""


@dataclass(frozen=True)
class CommandSpec:
    """A fully prepared command: what to start, where, and where its output goes."""

    argv: list[str]
    env: dict[bytes, bytes]  # as the OS holds it: nothing to re-encode per command
    cwd: Path
    stdout_path: Path | None  # None: stdout goes with stderr
    # A bash script passed with -c: the path bash names it by ($0, error messages) and
    # its text, written to that path only if the attempt is kept.
    inline_script: tuple[Path, str] | None = None


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None  # None when the command was killed for its timeout
    timed_out: bool
    duration_s: float


def command_environment(variables: dict[str, Any], extra: dict[str, str]) -> dict[bytes, bytes]:
    """The inherited environment plus `extra`, then every param and metavar as a string
    (a param wins over `extra`)."""
    env = dict(os.environb)
    env.update({os.fsencode(name): os.fsencode(value) for name, value in extra.items()})
    env.update({os.fsencode(name): os.fsencode(env_value(value))
                for name, value in variables.items()})
    return env


def needs_private_files(language: str, code: str, capture_stdout: bool) -> bool:
    """Whether the command needs files of its own beside its workspace: a captured
    stdout, a script too long for -c, Python's script and globals, or stderr where
    there is no memfd."""
    return language != "bash" or capture_stdout or not _inline(code) or not MEMFD


def _inline(code: str) -> bool:
    """Whether bash code can travel as one argument (a character is at most 4 bytes)."""
    return "\0" not in code and (
        len(code) <= INLINE_SCRIPT_LIMIT // 4 or len(code.encode()) <= INLINE_SCRIPT_LIMIT)


def prepare_command(
    language: str,
    code: str,
    variables: dict[str, Any],
    workspace: Path,
    private_dir: Path,
    capture_stdout: bool,
    environment: dict[str, str],
    origin: tuple[str, int] | None = None,
) -> CommandSpec:
    """Say how to run the code with the workspace as cwd. Files the command needs
    (a big bash script, Python's script and globals) go into `private_dir`, outside
    the workspace, so the command's `ls` sees only its inputs.

    A bash script up to INLINE_SCRIPT_LIMIT travels as `-c`; a bigger one goes through a
    file, because Linux limits one argument to 128 KiB. `environment` is given to the
    command in either language; `variables` are environment variables in bash and
    globals in Python.

    `origin` is (Seamlessfile as shown, line of the code's first line): error messages
    then name that file and its lines (`Seamlessfile: line 27: awkk: command not found`),
    as bash names a `-c` script by `$0` and counts its lines from the top (the code is
    moved down by blank lines). Without it, the path the script's file would have had.
    """
    stdout_path = private_dir / "stdout" if capture_stdout else None
    if language == "bash":
        script = private_dir / "command.sh"
        env = command_environment(variables, environment)
        if _inline(code):
            shown, first = origin or (str(script), 1)
            argv = ["bash", "-e", "-o", "pipefail", "-c", "\n" * (first - 1) + code, shown]
            return CommandSpec(argv, env, workspace, stdout_path, (script, code))
        script.write_text(code, encoding="utf-8")
        argv = ["bash", "-e", "-o", "pipefail", str(script)]
    elif language == "python":
        script = private_dir / "command.py"
        script.write_text(code, encoding="utf-8")
        globals_path = private_dir / "globals.json"
        globals_path.write_bytes(orjson.dumps(variables))
        shown, first = origin or (str(script), 1)
        argv = [sys.executable, "-c", _PYTHON_BOOTSTRAP, str(script), str(globals_path),
                shown, str(first)]
        env = command_environment({}, environment)
        if not capture_stdout:  # its prints then go where its traceback goes, in order
            env[b"PYTHONUNBUFFERED"] = b"1"
    else:
        raise ExecutionError(f"unknown language '{language}' (expected bash or python)")
    return CommandSpec(argv, env, workspace, stdout_path)


# The exit status a bash transformation's header gives when one of the code's final
# `mv` lines failed: a capture the command did not produce (see bash_script).
MOVE_FAILED = 213


def bash_script(code: str, moves: int, pipefail: bool, first_line: int = 1) -> str:
    """What bash runs for a Seamless bash transformation's code text: Seamless's header
    (`set -u -e`, and a trap that kills background jobs); `pipefail` when asked; and an
    ERR trap that turns a failure of one of the last `moves` lines (the code's `mv` of
    each capture into RESULT) into MOVE_FAILED.

    The code's line k is put on the script's line `first_line + k - 1`, so that bash's
    `line N` is a line of the file the command was written in (an origin there names
    it): blank lines above when that is below the header's line, and when it is above
    (the lines the code text puts before a command written near the top of its file),
    those lines joined onto the header's. Only those wrapper lines are joined (the last
    of them may open a subshell, `(`), so the command itself runs as written."""
    head = HEADER.rstrip("\n").replace("\n", "; ") + ("; set -o pipefail" if pipefail else "")
    if moves:
        first_move = first_line + code.count("\n") - moves
        head += f"; trap '[ $LINENO -lt {first_move} ] || exit {MOVE_FAILED}' ERR"
    lines = code.split("\n")
    joined = min(max(1 - first_line, 0), len(lines) - 1)  # the lines that go up
    for line in [*lines[:joined], "\n".join(lines[joined:])]:
        head += (" " if head.endswith("(") else "; ") + line
    return "\n" * max(first_line - 1, 0) + head


def prepare_bash(script: str, variables: dict[str, str], workspace: Path,
                 private_dir: Path, environment: dict[str, str], shown: str | None
                 ) -> CommandSpec:
    """Say how to run a bash transformation's script (bash_script) in `workspace`: as
    `-c` when it fits, else from a file beside the workspace. `shown` is what bash
    names the script by in its messages (a Seamlessfile)."""
    path = private_dir / "command.sh"
    env = command_environment(variables, environment)
    if _inline(script):
        return CommandSpec(["bash", "-c", script, shown or str(path)], env, workspace, None,
                           (path, script))
    path.write_text(script, encoding="utf-8")
    return CommandSpec(["bash", str(path)], env, workspace, None)


@lru_cache(maxsize=64)
def _executable(program: str, search_path: bytes | None) -> str:
    """`program` as found on the command's PATH, looked up once per PATH: exec would
    otherwise try every PATH entry for every command. A PATH with a relative entry is
    searched from the workspace, so that is left to exec, as is a program not found."""
    path = os.defpath if search_path is None else os.fsdecode(search_path)
    if not all(os.path.isabs(entry) for entry in path.split(os.pathsep)):
        return program
    return shutil.which(program, path=path) or program


def keep_files(spec: CommandSpec, stderr: Stderr, private_dir: Path) -> str:
    """Write what a kept attempt should show beside its workspace: the script and
    stderr. Gives back the shell line that reruns the command there by hand."""
    argv = spec.argv
    if spec.inline_script is not None:
        path, code = spec.inline_script
        path.write_text(code, encoding="utf-8")
        argv = [*argv[:argv.index("-c")], str(path)]  # the same script, from its file
    elif argv[1:3] == ["-c", _PYTHON_BOOTSTRAP]:
        bootstrap = private_dir / "bootstrap.py"
        bootstrap.write_text(_PYTHON_BOOTSTRAP, encoding="utf-8")
        argv = [argv[0], str(bootstrap), *argv[3:]]
    stderr.keep(private_dir)
    return rerun_line(spec, argv)


def rerun_line(spec: CommandSpec, argv: list[str]) -> str:
    """`cd WORKSPACE && env VARS ARGV [> STDOUT]`: what reruns a command by hand, in a
    shell with this process's environment. VARS are the variables the command got that
    this process does not have (params, metavars, cores); paths beside the workspace are
    written relative to it."""
    def shown(path: str) -> str:
        inside = Path(path).is_absolute() and Path(path).parent == spec.cwd.parent
        return shlex.quote(os.path.relpath(path, spec.cwd) if inside else path)

    added = [f"{os.fsdecode(name)}={shlex.quote(os.fsdecode(value))}"
             for name, value in spec.env.items() if os.environb.get(name) != value]
    line = f"cd {shlex.quote(str(spec.cwd))} && "
    if added:
        line += "env " + " ".join(added) + " "
    line += " ".join(shown(arg) for arg in argv)
    if spec.stdout_path is not None:
        line += f" > {shown(str(spec.stdout_path))}"
    return line


def start_command(spec: CommandSpec, stderr: Stderr) -> subprocess.Popen:
    """Start the command as the leader of a new session; OSError if it cannot start.
    Uncaptured stdout joins stderr: what a step prints is in its log and shown with its
    failure, in the order it was printed."""
    stdout: Any = stderr.fd
    out_fd = -1
    if spec.stdout_path is not None:
        out_fd = os.open(spec.stdout_path,
                         os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        stdout = out_fd
    try:
        return subprocess.Popen(
            spec.argv, executable=_executable(spec.argv[0], spec.env.get(b"PATH")),
            cwd=spec.cwd, env=spec.env, stdin=subprocess.DEVNULL, stdout=stdout,
            stderr=stderr.fd, start_new_session=True,
        )
    finally:
        if out_fd >= 0:
            os.close(out_fd)  # the child has its own copy


def run_command(spec: CommandSpec, stderr: Stderr, timeout: float | None) -> CommandResult:
    """Run to completion (or timeout) in this thread; for worker processes.

    Any exception while waiting (a SIGTERM turned into SystemExit, a KeyboardInterrupt)
    kills the whole process group before propagating, so no command outlives its caller.
    """
    start = time.monotonic()
    proc = start_command(spec, stderr)
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


async def wait_command(proc: subprocess.Popen, timeout: float | None,
                       start: float) -> CommandResult:
    """Await a command started with `start_command`. Many commands share one event loop;
    cancelling the awaiting task kills the process group and reaps it before re-raising."""
    try:
        if timeout is None:
            exit_code: int | None = await _exited(proc)
        else:
            exit_code = await asyncio.wait_for(_exited(proc), timeout)
        timed_out = False
    except asyncio.TimeoutError:
        exit_code, timed_out = None, True
    except BaseException:
        kill_group(proc.pid)
        await asyncio.shield(_exited(proc))
        raise
    kill_group(proc.pid)  # leftovers: background jobs the command did not wait for
    if timed_out:
        await _exited(proc)
    return CommandResult(exit_code, timed_out, time.monotonic() - start)


async def _exited(proc: subprocess.Popen) -> int:
    """The exit status, reaped. A pidfd lets the event loop itself wait for the exit;
    without pidfds (old kernels, other systems) a thread waits instead."""
    if proc.returncode is not None:
        return proc.returncode
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        return await asyncio.to_thread(proc.wait)
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    loop.add_reader(pidfd, lambda: exited.done() or exited.set_result(None))
    try:
        await exited
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    return proc.wait()  # exited: reaping does not block


def kill_group(pgid: int) -> None:
    """SIGKILL a process group; a group that is already gone is not an error."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


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
