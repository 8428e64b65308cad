"""Show where a project file comes from: the step instance, its code, params, inputs (by
the project path they were read from, and the instance that wrote them), when it ran,
why, and whether the file on disk still matches what was written. A file inside a
captured directory is explained as the directory's. A path the workflow neither
produces nor reads is an error (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

from seamlessflow.errors import EXIT_OK


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", metavar="PATH", help="a project file or directory")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value (repeatable)")


def run(args: argparse.Namespace) -> int:
    from seamlessflow.language.config import parse_overrides
    from seamlessflow.session.explain import explain
    from seamlessflow.session.startup import find_seamlessfile

    seamlessfile = find_seamlessfile(args.seamlessfile)
    print(explain(seamlessfile, args.path, parse_overrides(args.config), Path.cwd()).text)
    return EXIT_OK
