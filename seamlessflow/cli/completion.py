"""Shell completion: what may come next on a `seamlessflow` command line.

The scripts `seamlessflow completion bash|zsh|fish` prints call the hidden
`seamlessflow __complete` for each TAB, so that the subcommands and flags come from the
argparse parsers themselves (they cannot drift apart) and step and instance names from
the Seamlessfile of the folder (`-C DIR`, `-f FILE` and `--config` on the line are
heeded). It imports only the chosen subcommand's module and, for names, the loader, which
reads the plan cache a run leaves; it writes nothing. When it has nothing to offer (a
path, a file argument, a broken Seamlessfile), the scripts fall back to file names.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path

# Writes nothing but its output: see main.entry.
NOTHING_TO_TEAR_DOWN = True

SHELLS = ("bash", "zsh", "fish")
# Past this many instance names, only the steps are offered: `run count[` then lists
# the instances of count.
MAX_INSTANCES = 50

_BASH = r"""# seamlessflow completion for bash: source it, or put it in
# ~/.local/share/bash-completion/completions/seamlessflow
_seamlessflow() {
    local line="${COMP_LINE:0:COMP_POINT}"
    mapfile -t COMPREPLY < <(command seamlessflow __complete bash "$COMP_WORDBREAKS" \
        "$line" 2>/dev/null)
}
complete -o default -F _seamlessflow seamlessflow
"""

_ZSH = r"""#compdef seamlessflow
# seamlessflow completion for zsh: source it after compinit, or put it as _seamlessflow
# in a folder of $fpath
_seamlessflow() {
    local -a found
    found=("${(@f)$(command seamlessflow __complete words "${(@Q)words[2,CURRENT]}" \
        2>/dev/null)}")
    found=(${found:#})
    if (( ${#found} )); then
        compadd -a found
    else
        _files
    fi
}
if [[ $funcstack[1] == _seamlessflow ]]; then  # autoloaded from $fpath, at a TAB
    _seamlessflow "$@"
elif (( $+functions[compdef] )); then
    compdef _seamlessflow seamlessflow
fi
"""

_FISH = r"""# seamlessflow completion for fish: source it, or put it in
# ~/.config/fish/completions/seamlessflow.fish
function __seamlessflow_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l found (command seamlessflow __complete words $words (commandline -ct) 2>/dev/null)
    if test (count $found) -gt 0
        printf '%s\n' $found
    else
        __fish_complete_path (commandline -ct)
    end
end
complete -c seamlessflow -f -a '(__seamlessflow_complete)'
"""

SCRIPTS = {"bash": _BASH, "zsh": _ZSH, "fish": _FISH}


def complete(argv: list[str]) -> int:
    """`__complete words WORD... CURRENT` (zsh, fish: the words after `seamlessflow`,
    the one being typed last) or `__complete bash WORDBREAKS LINE` (bash: the line up
    to the cursor): the candidates, one a line."""
    if len(argv) >= 3 and argv[0] == "bash":
        words = _split_line(argv[2])
        found = _bash_words(candidates(words), words[-1], argv[1])
    elif argv[:1] == ["words"]:
        found = candidates(argv[1:] or [""])
    else:
        return 2
    sys.stdout.write("".join(f"{word}\n" for word in found))
    return 0


def _split_line(line: str) -> list[str]:
    """The words after the program's name, the one being typed last ("" after a space);
    an open quote is closed first."""
    for closing in ("", "'", '"'):
        try:
            words = shlex.split(line + closing)
            break
        except ValueError:
            continue
    else:
        words = line.split()
    if not line or line[-1].isspace():
        words.append("")
    return words[1:] or [""]


def _bash_words(found: list[str], current: str, wordbreaks: str) -> list[str]:
    """Bash replaces only what follows the last of its word breaks (`=`, `:`) in the
    word being typed: the candidates lose what comes before."""
    cut = max((current.rfind(c) for c in set(wordbreaks)), default=-1) + 1
    return [word[cut:] for word in found]


def candidates(words: list[str]) -> list[str]:
    """What may replace the last of `words` (the word being typed), given those before."""
    from seamlessflow.cli.main import COMMANDS, build_parser

    *before, current = words
    command, parser = None, build_parser([])
    rest: list[str] = []
    for i, word in enumerate(before):
        if word in COMMANDS and not _is_value(parser, before[:i]):
            command = word
            parser = _subparser(build_parser([word]), word)
            rest = before[i + 1:]
            break
    if current.startswith("-"):
        options = [s for a in parser._actions for s in a.option_strings if a.help is not
                   argparse.SUPPRESS]
        return _matching(options, current)
    value_of = _is_value(parser, before)
    if value_of is not None:
        if value_of.choices is not None:
            return _matching([str(c) for c in value_of.choices], current)
        if value_of.dest in ("force", "until"):
            return _names(before, current)
        return []  # a file, a folder, a number: the shell's own completion
    if command is None:
        return _matching(list(COMMANDS), current)
    for action in parser._actions:
        if action.option_strings:
            continue
        if action.choices is not None and not set(rest) & set(action.choices):
            return _matching([str(c) for c in action.choices], current)
        if action.dest == "targets":
            return _names(before, current)
    return []


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[command]


def _is_value(parser: argparse.ArgumentParser, before: list[str]) -> argparse.Action | None:
    """The option whose value comes next after `before`, if one does (`-C` DIR, `-j` N;
    `--force` NAME... as long as no other option follows)."""
    if not before:
        return None
    options = {s: a for a in parser._actions for s in a.option_strings}
    action = options.get(before[-1])
    if action is not None and action.nargs != 0:
        return action
    for word in reversed(before):
        if word.startswith("-"):
            action = options.get(word)
            return action if action is not None and action.nargs in ("*", "+") else None
    return None


def _matching(words: list[str], current: str) -> list[str]:
    return [w for w in words if w.startswith(current)]


def _names(before: list[str], current: str) -> list[str]:
    """The steps and instances of the Seamlessfile that start with `current`: the
    instances only when few do (else `STEP[` asks for a step's). Nothing for a path."""
    if "/" in current:
        return []
    dag = _load(before)
    if dag is None:
        return []
    instances = dag.workflow.instances
    steps = _matching(list(dict.fromkeys(inst.step for inst in instances.values())), current)
    swept = [name for name in _matching(list(instances), current) if name not in steps]
    if "[" in current or len(swept) <= MAX_INSTANCES:
        return steps + swept
    return steps


def _load(before: list[str]):
    """The workflow the line names (`-C DIR`, `-f FILE`, `--config K=V`), or None when
    there is none or it does not load."""
    from seamlessflow.errors import SeamlessflowError

    directory, file, config = ".", None, []
    for i, word in enumerate(before[:-1]):
        value = before[i + 1]
        if word == "-C":
            directory = value
        elif word in ("-f", "--file"):
            file = value
        elif word == "--config":
            for pair in before[i + 1:]:
                if not re.match(r"[\w.-]+=", pair):
                    break
                config.append(pair)
    path = Path(directory) / (file or "Seamlessfile")
    if path.is_dir():
        path /= "Seamlessfile"
    if not path.is_file():
        return None
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session.loading import load_dag

    try:
        return load_dag(path, parse_overrides(config), keep_plan=False)
    except (SeamlessflowError, OSError):
        return None
