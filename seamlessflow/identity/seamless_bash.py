"""Seamless bash transformations, built exactly as `seamless-run` builds them.

A command with its inputs becomes a dict of pins (files, folders, variables), a code
text that wraps the command so that its result lands in `RESULT`, and the checksum of
that dict's identity. Equal checksums make a seamlessflow result and a `seamless-run`
result interchangeable in a shared cache, so every byte here matters: pin names, the
code text's whitespace, which keys count for the identity.

Pure: no file system, no store. What it needs of the world (the checksums of files and
folders) is given to it; what the world needs of it (the buffers of the code and the
variables, which a store must hold) it gives back. `seamlessflow exec` builds its
transformations here. A `shell:` step maps onto the same arguments: its inputs are files
and folders named by workspace path, its params variables holding the text the command
sees in `$name` (execution/command.py `env_value`), its metavars metavars, its captures
targets (a folder without its trailing `/`), and a captured stdout is stdout mode when it
is the only capture, else the `STDOUT` target.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import lru_cache

from seamlessflow.graph.pin_names import META_PREFIX, RESULT, STDOUT
from seamlessflow.identity.checksum import checksum_bytes, plain_serialize

LANGUAGE = "bash"
# The bash that runs every code text before it (Seamless's header).
HEADER = "set -u -e\ntrap 'jobs -p | xargs -r kill' EXIT\n"

FILE_FORMAT = {"filesystem": {"mode": "file", "optional": True}}
FOLDER_FORMAT = {"celltype": "deepfolder", "filesystem": {"mode": "directory", "optional": True}}
STDOUT_OUTPUT = ["result", "bytes", None]
CAPTURE_OUTPUT = ["result", "deepfolder", None]
# The double-underscore keys that count for the identity; every other one (__env__,
# __meta__, ...) is about where and how a transformation runs, not what it computes.
IDENTITY_DUNDERS = frozenset({"__language__", "__output__", "__format__", "__as__",
                              "__schema__"})


@dataclass(frozen=True)
class BashTransformation:
    """A built transformation: the full dict (what runs), its checksum (what is looked
    up and recorded), and the buffers it names that only it can supply."""

    transformation: dict
    checksum: str
    code: str  # the code text, as the command runs it (after the header)
    buffers: dict[str, bytes] = field(default_factory=dict)  # code, variables, metavars
    # The line of `code` where the command begins, after the lines the code text puts
    # before it (exports, mkdir, the subshell's opening): what maps bash's line numbers
    # back onto the lines the command was written on.
    command_line: int = 1

    @property
    def identity_buffer(self) -> bytes:
        """The buffer whose checksum is `checksum`: what `seamless-run --dry -j` writes
        as transformation.json, and what the buffer store keeps under the checksum."""
        return plain_serialize(identity(self.transformation))

    @property
    def capture_mode(self) -> bool:
        return self.transformation["__output__"] == CAPTURE_OUTPUT


def text_buffer(text: str) -> bytes:
    """A Seamless text buffer: UTF-8, ending in exactly one newline."""
    return (text.rstrip("\n") + "\n").encode()


def str_buffer(value: str) -> bytes:
    """A Seamless `str` buffer: the JSON string as orjson writes it (UTF-8, not `\\u`
    escapes), then a newline (`1` -> `"1"` + newline)."""
    return plain_serialize(value)


def bash_code(command: str, targets: list[str], metavars: list[str] = (),
              executables: list[str] = ()) -> str:
    """The code text around `command` (already written with pin names).

    Stdout mode (no targets): the command's stdout becomes `RESULT`. Capture mode: the
    folders of the targets are made under `RESULT/`, the command runs (its stdout into
    `STDOUT` when that is one of the targets) and each target is moved under `RESULT/`,
    in order. A local executable first word is made executable and found on `./`;
    metavars are exported from their `META__` pins. Targets are not quoted, as
    seamless-run does not quote them: callers refuse target names bash would split.
    """
    prelude = code_prelude(targets, metavars, executables)
    if not targets:
        return prelude + command + "\n) > " + RESULT + "\n"
    moves = "".join(f"mv {target} {posixpath.join(RESULT, posixpath.dirname(target))}\n"
                    for target in targets)
    return prelude + command + ("\n) > " + STDOUT if STDOUT in targets else "") + "\n" + moves


def code_prelude(targets: list[str], metavars: list[str] = (),
                 executables: list[str] = ()) -> str:
    """The lines of bash_code's text before the command: local executables made
    runnable, metavars exported, RESULT's folders made (capture mode), and the opening
    of the subshell whose stdout is kept (stdout mode, or a `STDOUT` target). Every
    line ends in a newline; the last may be `(`."""
    code = ""
    if executables:
        if any(not posixpath.dirname(name) for name in executables):
            code += "export PATH=./:$PATH\n"
        code += "chmod +x" + "".join(f" '{name}'" for name in executables) + "\n"
    for name in sorted(metavars):
        code += f'export {name}="${{{META_PREFIX}{name}}}"\n'
    if not targets:
        return code + "(\n"
    folders: list[str] = []
    for target in targets:
        folder = posixpath.join(RESULT, posixpath.dirname(target))
        if folder not in folders:
            folders.append(folder)
    code += f"mkdir -p {' '.join(folders)}\n"
    return code + "(\n" if STDOUT in targets else code


def build(command: str, *, files: dict[str, str] | None = None,
          folders: dict[str, str] | None = None, variables: dict[str, str] | None = None,
          metavars: dict[str, str] | None = None, targets: list[str] = (),
          executables: list[str] = ()) -> BashTransformation:
    """The transformation of `command`.

    files / folders: pin name (the path relative to the working directory) -> checksum
    of the file's bytes / the folder's deep checksum. variables: `--var` name -> value
    (in the identity); metavars: `--metavar` name -> value (out of it, but their names
    count through the code's export lines). targets: the paths captured from the
    workspace after the command, in order, `STDOUT` standing for its stdout; none
    means stdout mode, whose result is stdout itself.
    """
    files, folders = dict(files or {}), dict(folders or {})
    variables, metavars = dict(variables or {}), dict(metavars or {})
    code, code_checksum, code_buffer, line = _code_pin(command, tuple(targets),
                                                       tuple(metavars), tuple(executables))
    tf: dict = {"__language__": LANGUAGE,
                "__output__": CAPTURE_OUTPUT if targets else STDOUT_OUTPUT}
    formats = {}
    for name, checksum in files.items():
        tf[name] = ["bytes", None, checksum]
        formats[name] = FILE_FORMAT
    for name, checksum in folders.items():
        tf[name] = ["mixed", None, checksum]
        formats[name] = FOLDER_FORMAT
    if formats:
        tf["__format__"] = formats
    buffers = {code_checksum: code_buffer}
    tf["code"] = ["text", None, code_checksum]
    for name, value in variables.items():
        checksum, buffers[checksum] = _str_pin(value)
        tf[name] = ["str", None, checksum]
    for name, value in metavars.items():
        checksum, buffers[checksum] = _str_pin(value)
        tf[META_PREFIX + name] = ["str", None, checksum]
    return BashTransformation(tf, transformation_checksum(tf), code, buffers, line)


# The instances of a step share their code text, and a sweep repeats its values: each is
# built and hashed once (a run of thousands of instances builds all their identities).
@lru_cache(maxsize=1024)
def _code_pin(command: str, targets: tuple[str, ...], metavars: tuple[str, ...],
              executables: tuple[str, ...]) -> tuple[str, str, bytes, int]:
    code = bash_code(command, list(targets), list(metavars), list(executables))
    buffer = text_buffer(code)
    line = code_prelude(list(targets), list(metavars), list(executables)).count("\n") + 1
    return code, checksum_bytes(buffer), buffer, line


@lru_cache(maxsize=4096)
def _str_pin(value: str) -> tuple[str, bytes]:
    buffer = str_buffer(value)
    return checksum_bytes(buffer), buffer


def identity(tf: dict) -> dict:
    """What the checksum covers: every pin but the `META__` ones, and only the
    double-underscore keys that say what is computed."""
    return {key: value for key, value in tf.items()
            if (key in IDENTITY_DUNDERS if key.startswith("__")
                else not key.startswith(META_PREFIX))}


def transformation_checksum(tf: dict) -> str:
    return checksum_bytes(plain_serialize(identity(tf)))


def pins(tf: dict) -> dict[str, tuple[str, str]]:
    """Every pin (code included) -> (celltype, checksum): what an executor must fetch."""
    return {key: (value[0], value[2]) for key, value in tf.items()
            if not key.startswith("__")}


def is_bash_transformation(tf: dict) -> bool:
    """A Seamless bash transformation (a shell step's), not seamlessflow's own dict (a
    Python step's): its code is a pin."""
    return isinstance(tf.get("code"), list)


def input_pins(tf: dict) -> dict[str, tuple[str, bool]]:
    """The file and folder inputs: path -> (checksum, is a folder)."""
    return {name: (cs, celltype == "mixed") for name, (celltype, cs) in pins(tf).items()
            if celltype in ("bytes", "mixed")}


def describe_transformation(tf: dict) -> tuple[str, str, dict, dict[str, str]]:
    """(language, code checksum, params, inputs: path -> checksum) of a stored
    transformation, a Seamless bash one (its params are its `str` pins, each still a
    pin) or seamlessflow's own."""
    if not is_bash_transformation(tf):
        return tf["__language__"], tf["code"], tf["params"], tf["inputs"]
    params = {key: value for key, value in tf.items()
              if not key.startswith("__") and value[0] == "str"}
    return (tf["__language__"], tf["code"][2], params,
            {name: cs for name, (cs, _) in input_pins(tf).items()})
