"""What Snakemake users type, taken as they mean it or answered with seamlessflow's spelling.

Someone coming from Snakemake types `--config a=1 b=2` and `--dag` without thinking.
The first is accepted here by spreading the pairs into one `--config` each before
argparse sees them; the second, which seamlessflow spells differently, gets an error
that names the spelling instead of a bare "unrecognized arguments".
"""

from __future__ import annotations

import argparse
import re

# A config pair as `--config` takes it: a (dotted) key, then `=`. Instance names
# (`count[n=3]`) and paths (`out/a=1.txt`) do not match, so they stay targets.
_PAIR = re.compile(r"[A-Za-z_][\w.-]*=.*", re.DOTALL)

# Snakemake options that seamlessflow spells another way: option -> what to type here
SNAKEMAKE_SPELLINGS: dict[str, str] = {
    "--dag": "the instance graph is `seamlessflow dag` (dot by default; --format mermaid|json)",
    "--rulegraph": "the step graph is `seamlessflow dag --steps`",
    "--filegraph": "the instance graph is `seamlessflow dag`",
    "-s": "the Seamlessfile is chosen with `-f FILE` (before or after the command)",
    "--snakefile": "the Seamlessfile is chosen with `-f FILE` (before or after the command)",
    "-R": "to rerun steps or instances even when cached, use `--force NAME...`",
    "--forcerun": "to rerun steps or instances even when cached, use `--force NAME...`",
    "--lint": "to parse and validate the Seamlessfile, use `seamlessflow check`",
    "-r": "a dry run (`run -n`) gives each instance's reason; "
          "`seamlessflow explain PATH` says where a file comes from",
    "--reason": "a dry run (`run -n`) gives each instance's reason; "
                "`seamlessflow explain PATH` says where a file comes from",
    "--configfile": "a config file is named in the Seamlessfile (`config: FILE.yaml`); "
                    "override single values with `--config KEY=VALUE`",
    "--configfiles": "a config file is named in the Seamlessfile (`config: FILE.yaml`); "
                     "override single values with `--config KEY=VALUE`",
}


def add_config_option(p: argparse.ArgumentParser) -> None:
    """`--config KEY=VALUE`, as every command that loads the workflow takes it."""
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value (repeatable; several pairs may follow "
                        "one --config)")


# options taking KEY=VALUE pairs, several after one as Snakemake reads them
_PAIRED = ("--config", "--resources")


def spread_pairs(argv: list[str]) -> list[str]:
    """`--config a=1 b=2` as `--config a=1 --config b=2` (and so for `--resources`):
    every KEY=VALUE right after such an option's value is another pair. Anything else
    ends the pairs (a target, an option)."""
    spread: list[str] = []
    option: str | None = None  # the option whose pairs these are
    expect_value = False
    for i, token in enumerate(argv):
        if expect_value:
            expect_value = False
        elif option is not None and _PAIR.fullmatch(token):
            spread.append(option)
        elif token == "--":  # what follows is positional
            return spread + argv[i:]
        else:
            option = next((o for o in _PAIRED
                           if token == o or token.startswith(o + "=")), None)
            expect_value = token in _PAIRED
        spread.append(token)
    return spread


def spelling_hint(unrecognized: list[str]) -> str | None:
    """For the Snakemake options among `unrecognized`, how seamlessflow spells them."""
    hints = []
    for token in unrecognized:
        option = token.split("=", 1)[0]
        if option in SNAKEMAKE_SPELLINGS:
            hints.append(f"{option}: {SNAKEMAKE_SPELLINGS[option]}")
    return "\n  hint: ".join(hints) or None
