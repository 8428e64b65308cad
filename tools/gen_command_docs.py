"""Write docs/commands.md from the argument parsers: run it after changing a command's
arguments or help texts (tests/docs/test_command_reference.py fails until then)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seamlessflow.cli.command_docs import render  # noqa: E402
from seamlessflow.storage.atomic import atomic_write_bytes  # noqa: E402

if __name__ == "__main__":
    atomic_write_bytes(ROOT / "docs" / "commands.md", render().encode())
