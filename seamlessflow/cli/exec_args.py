"""What a `seamlessflow exec` command line means, decided as `seamless-run` decides it.

The command is parsed with bashlex. Every word of it is an input when it names a file
or folder of the working directory, or one that a `WORD.CHECKSUM` sidecar stands for
(a folder when `WORD.INDEX` is there too); anything else is text. Two guess rules keep
typos from becoming text silently: a word with a suffix must be a file (-g1 lifts
this), a later word without one must not be a file (-g2). What is captured: the `-cp`
targets, and the target of a final `>` redirect.

Only the common forms are taken: one command or one pipeline, plain words (with `$VAR`
expansions), and one `>` redirect at the very end. Anything else is refused, because
seamless-run would give it a checksum (or a result) that does not mean what the command
says, and a shared cache must never hold that.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from seamlessflow.errors import UsageError
from seamlessflow.identity.checksum import checksum_file
from seamlessflow.identity.seamless_bash import STDOUT
from seamlessflow.storage.sidecars import CHECKSUM_SUFFIX, INDEX_SUFFIX, read_sidecar

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
COMPRESSED = (".gz", ".zst")
# Characters that make a target name mean something else to bash in `mv T RESULT/`.
_UNSAFE_TARGET = re.compile(r"[^A-Za-z0-9_.,+=@%/-]")
_POSIX_TOOL_DIRS = ("/bin", "/sbin", "/usr")
# A command of these characters only, `$` starting a name, is one simple command unless
# its first word is a reserved word or an assignment.
_PLAIN = re.compile(r"(?:[A-Za-z0-9 ._/,:+%@=-]|\$(?=[A-Za-z_]))+")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_RESERVED = frozenset({"case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for",
                       "function", "if", "in", "select", "then", "time", "until", "while"})


@dataclass
class Pin:
    """One input: its pin name, the local path it comes from, and the checksum its
    sidecar gives (None: hash the local file or folder)."""

    name: str
    path: Path
    is_dir: bool
    checksum: str | None = None


@dataclass
class ExecPlan:
    command: str  # the command text as it runs, with pin names written in
    pins: list[Pin] = field(default_factory=list)
    # path in the workspace (STDOUT: stdout) -> local path, in seamless-run's order
    targets: dict[str, str] = field(default_factory=dict)
    executables: list[str] = field(default_factory=list)


def parse_assignments(items: list[str], option: str) -> dict[str, str]:
    """`--var N=V` / `--metavar N=V`; the same name twice must have the same value."""
    found: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not NAME.fullmatch(name):
            raise UsageError(f"{option} {item}: expected NAME=VALUE, NAME being letters, "
                             "digits and _ (not starting with a digit)")
        if option == "--metavar" and name.upper().startswith("META__"):
            raise UsageError(f"{option} {item}: the name must not start with META__")
        if found.get(name, value) != value:
            raise UsageError(f"{option} {name} is given twice with different values")
        found[name] = value
    return found


def plan_command(words: list[str], captures: list[str], g1: bool = False,
                 g2: bool = False, cwd: Path | None = None) -> ExecPlan:
    """The plan of `words` (joined by spaces, as seamless-run joins its arguments)."""
    cwd = Path(cwd or os.getcwd())
    text = " ".join(words)
    if not text.strip():
        raise UsageError("no command: write it after --, e.g. seamlessflow exec -- wc -c "
                         "data.txt")
    plain = plain_words(text)
    commands, redirect = ([plain], None) if plain is not None else parse(text)
    plan = ExecPlan(text)
    substitutions: dict[tuple[int, int], str] = {}
    index = 0
    for command in commands:
        for position, node in enumerate(command):
            index += 1
            pin = _argtype(node.word, index, g1, g2, cwd)  # each time: the rules count places
            if pin is None:
                if position == 0:
                    _is_tool(node.word, cwd)  # refuses a program seamless-run would map
                continue
            if pin.name not in {p.name for p in plan.pins}:
                plan.pins.append(pin)
            if pin.name != node.word:
                if text[node.pos[0]:node.pos[1]] != node.word:
                    raise UsageError(f"'{node.word}' is quoted and names the input "
                                     f"'{pin.name}': seamless-run would write that name in "
                                     "without quotes; write it as it is named from here")
                substitutions[node.pos] = pin.name
            if position == 0 and not pin.is_dir and not _is_tool(node.word, cwd):
                plan.executables.append(pin.name)
    for (start, end), name in sorted(substitutions.items(), reverse=True):
        plan.command = plan.command[:start] + name + plan.command[end:]
    for spec in captures:
        inside, colon, local = spec.partition(":")
        if colon and not inside:
            if not local:
                raise UsageError("-cp : needs a file to write stdout to: -cp :FILE")
            inside = STDOUT
        else:
            _check_target(inside, f"-cp {spec}")
        plan.targets[inside] = local or inside
    if redirect is not None:
        _check_target(redirect, f"> {redirect}")
        plan.targets[redirect] = redirect  # written under its own name, as seamless-run does
    return plan


class PlainWord(NamedTuple):
    """A word of a plain command, as bashlex would give it."""

    word: str
    pos: tuple[int, int]


def plain_words(text: str) -> list[PlainWord] | None:
    """The words of a command that bash cannot read as anything but one simple command
    of plain words (`$NAME` expansions included), found without bashlex, whose import
    alone takes a fifth of a second; None for any other command."""
    if not _PLAIN.fullmatch(text):
        return None
    words = [PlainWord(m.group(), m.span()) for m in re.finditer(r"[^ ]+", text)]
    if not words or words[0].word in _RESERVED or _ASSIGNMENT.match(words[0].word):
        return None
    return words


def parse(text: str) -> tuple[list[list], str | None]:
    """The words of each command of the one pipeline, and the final redirect's target."""
    import bashlex

    try:
        trees = bashlex.parse(text)
    except Exception as exc:  # bashlex fails in many ways on odd input (# alone: AttributeError)
        raise UsageError(f"cannot parse the command {text!r}: {exc}") from None
    if len(trees) != 1:
        raise _refuse("several command lines")
    tree = trees[0]
    if tree.kind == "command":
        nodes = [tree]
    elif tree.kind == "pipeline":
        nodes = [part for part in tree.parts if part.kind != "pipe"]
        if any(part.kind == "pipe" and part.pipe != "|" for part in tree.parts):
            raise _refuse("a pipe of stderr (|&)")
        for node in nodes:
            if node.kind == "reservedword":
                raise _refuse(f"the reserved word '{node.word}' in the pipeline")
            if node.kind != "command":
                raise _refuse("a subshell or compound command in the pipeline")
    elif tree.kind == "list":
        raise _refuse("a list of commands (;, &&, || or &)")
    else:
        raise _refuse("a subshell, compound command or function")
    commands: list[list] = []
    redirect = None
    for number, node in enumerate(nodes):
        words = []
        for i, part in enumerate(node.parts):
            if part.kind == "word":
                _check_word(part)
                words.append(part)
            elif part.kind == "redirect":
                last = number == len(nodes) - 1 and i == len(node.parts) - 1
                redirect = _check_redirect(text, part, last)
            elif part.kind == "assignment":
                raise _refuse(f"an assignment ({part.word}) before the command; use --var")
            else:
                raise _refuse(f"a {part.kind}")
        commands.append(words)
    return commands, redirect


def _check_word(node) -> None:
    for part in getattr(node, "parts", []) or []:
        if part.kind != "parameter":
            kind = {"commandsubstitution": "a command substitution",
                    "processsubstitution": "a process substitution",
                    "tilde": "a ~ path"}.get(part.kind, f"a {part.kind}")
            raise _refuse(f"{kind} in '{node.word}'")


def _check_redirect(text: str, node, last: bool) -> str:
    if node.type == "<" or node.type.startswith("<"):
        raise _refuse("an input redirect (<); give the file as an argument")
    if node.type != ">" or node.input is not None or not hasattr(node.output, "word"):
        shown = text[node.pos[0]:node.pos[1]]
        raise _refuse(f"the redirect '{shown}'; only a final `> FILE` is taken")
    if not last:
        raise _refuse("a redirect before the end of the command line; only a final "
                      "`> FILE` is taken")
    if node.pos[0] > 0 and not text[node.pos[0] - 1].isspace():
        raise _refuse(f"a word glued to its redirect ('{text[:node.pos[1]].split()[-1]}'): "
                      "seamless-run would not see that word; put a space before >")
    if getattr(node.output, "parts", None):
        raise _refuse(f"an expansion in the redirect target '{node.output.word}'")
    return node.output.word


def _refuse(what: str) -> UsageError:
    return UsageError(f"seamlessflow exec takes one command or one pipeline of plain words "
                      f"with an optional final `> FILE`, not {what}; run it inside a "
                      "script (bash script.sh ...) or as a step of a Seamlessfile")


def _argtype(word: str, index: int, g1: bool, g2: bool, cwd: Path) -> Pin | None:
    """The input `word` names, or None for text; seamless-run's rules."""
    path = cwd / word
    sidecar = cwd / (word + CHECKSUM_SUFFIX)
    if sidecar.is_file():
        is_dir = (cwd / (word + INDEX_SUFFIX)).exists()
        checksum = read_sidecar(sidecar)
        if path.is_file() and not is_dir and checksum_file(path) != checksum:
            raise UsageError(f"argument {index} '{word}' differs from {word}{CHECKSUM_SUFFIX}:"
                             " upload it again, or remove the stale sidecar")
        return _pin(word, path, is_dir, cwd, checksum)
    suffix = PurePosixPath(word).suffix
    exists = path.exists()
    is_dir = path.is_dir()
    is_number = False
    if suffix:
        try:
            float(word)
            is_number = True
        except ValueError:
            pass
    if not g1 and suffix and not is_number and not word.endswith("/"):
        if not exists:
            raise UsageError(f"argument {index} '{word}' has a suffix, so it must be a file "
                             "here, and it is not; pass -g1 to take such words as text")
        if is_dir:
            raise UsageError(f"argument {index} '{word}' has a suffix, so it must be a file, "
                             "but it is a folder; pass -g1 to lift this rule")
    if not g2 and index > 1 and not suffix and exists and not is_dir:
        raise UsageError(f"argument {index} '{word}' has no suffix, but a file of that name "
                         "is here; pass -g2 to take it as an input file")
    if word.endswith("/") and not is_dir:
        raise UsageError(f"argument {index} '{word}' ends with '/' but is not a folder here")
    if is_number or not exists:
        return None
    return _pin(word, path, is_dir, cwd, None)


def _pin(word: str, path: Path, is_dir: bool, cwd: Path, checksum: str | None) -> Pin:
    name = os.path.relpath(os.path.abspath(path), cwd)
    if name == "." or name == ".." or name.startswith("../"):
        raise UsageError(f"input '{word}' is not inside the working directory {cwd}; run "
                         "exec from a folder that holds it")
    if name.endswith(COMPRESSED):
        raise UsageError(f"input '{word}' is compressed: seamless-run hashes the "
                         "decompressed bytes, seamlessflow the bytes on disk; decompress it")
    return Pin(name, cwd / name, is_dir, checksum)


def _is_tool(program: str, cwd: Path) -> bool:
    """Whether the first word of a command is a program from a bin folder on PATH (a
    local file of that name is then an input, but not made executable). seamless-run
    writes a program found elsewhere on PATH as its absolute path, which names another
    transformation on every machine: refused."""
    found = shutil.which(program)
    if found is None:
        return False
    if os.path.dirname(found).endswith(_POSIX_TOOL_DIRS):
        return True
    if os.path.isabs(found) and not Path(found).is_relative_to(cwd):
        raise UsageError(f"the program '{program}' is {found}, outside a bin folder: "
                         "seamless-run would write that absolute path into the command; "
                         "put it in a folder named bin on PATH, or copy it here")
    return False


def _check_target(target: str, where: str) -> None:
    if not target or target.startswith("/") or target.endswith("/"):
        raise UsageError(f"{where}: a capture is a relative path without a trailing '/'")
    if ".." in target.split("/") or _UNSAFE_TARGET.search(target):
        raise UsageError(f"{where}: a capture must stay in the working directory and be "
                         "a plain name (letters, digits, . _ - and /), as seamless-run "
                         "moves it without quotes")
    if posixpath.normpath(target) != target:
        raise UsageError(f"{where}: write the capture as {posixpath.normpath(target)}")
