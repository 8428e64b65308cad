"""docs/commands.md, the command reference, made from the argparse parsers themselves.

The page is generated rather than written so that it cannot say what the parsers do not
do; `tools/gen_command_docs.py` writes it and a test fails when the two drift apart.
"""

from __future__ import annotations

import argparse
import textwrap

from seamlessflow.cli.main import COMMANDS, build_parser

WIDTH = 100  # the width usage lines are wrapped at, whatever the terminal
GLOBAL_DESTS = {"help", "version", "directory", "seamlessfile", "quiet", "verbose"}

HEADER = """\
# Command reference

<!-- Generated from the argument parsers by tools/gen_command_docs.py; do not edit by hand. -->

Every command is `seamlessflow [GLOBAL OPTIONS] COMMAND [OPTIONS]`; the global options may also
come after the command. `seamlessflow COMMAND --help` prints the same text as below.

Exit status: 0 success, 1 a step or transfer failed, 2 an error in the workflow or the command
line, 130 interrupted (143 stopped by SIGTERM).
"""


def render() -> str:
    """The whole page, as `tools/gen_command_docs.py` writes it."""
    top = build_parser([])
    commands = "\n".join(f"| [`{name}`](#seamlessflow-{name}) | {help_text} |"
                         for name, (_, help_text) in COMMANDS.items())
    parts = [HEADER, f"| command | does |\n| --- | --- |\n{commands}\n",
             "## Global options\n", _table(top, keep_global=True)]
    for name in COMMANDS:
        parser = _subparser(build_parser([name]), name)
        parts.append(f"## `seamlessflow {name}`\n")
        if parser.description:
            parts.append(_paragraph(parser.description))
        parts.append(f"```\n{_usage(parser)}```\n")
        table = _table(parser, keep_global=False)
        if table:
            parts.append(table)
    return "\n".join(parts)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise LookupError(name)


def _paragraph(text: str) -> str:
    """A module docstring as Markdown: its lines joined into one paragraph."""
    return " ".join(textwrap.dedent(text).split()) + "\n"


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help()


def _table(parser: argparse.ArgumentParser, keep_global: bool) -> str:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if (action.dest in GLOBAL_DESTS) != keep_global:
            continue
        rows.append(f"| {_spelling(action)} | {_cell(action.help or '')} |")
    if not rows:
        return ""
    return "| argument | meaning |\n| --- | --- |\n" + "\n".join(rows) + "\n"


def _spelling(action: argparse.Action) -> str:
    if action.option_strings:
        value = ""
        if action.nargs != 0:
            value = " " + _metavar(action)
        return ", ".join(f"`{flag}{value}`" for flag in action.option_strings)
    return f"`{_metavar(action)}`"


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        name = str(action.metavar)
    elif action.choices is not None:
        name = "{" + ",".join(map(str, action.choices)) + "}"
    elif action.option_strings:
        name = action.dest.upper()
    else:
        name = action.dest
    if action.nargs == "+":
        return f"{name} …"
    if action.nargs == "*":
        return f"[{name} …]"
    if action.nargs == "?":
        return f"[{name}]"
    return name


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
