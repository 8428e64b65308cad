"""What a command needs before it plans: its Seamlessfile, and the cyclic GC paused.

Apart from loading.py, so that a run told from its settled record (session/settled.py)
gets both without importing the graph layer it does not need.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from seamlessflow.errors import UsageError


def find_seamlessfile(arg: str | None, how_to_name: str = "name the file with -f FILE") -> Path:
    """The Seamlessfile named by -f (a directory means its Seamlessfile), else ./Seamlessfile.
    `how_to_name` is the front end's way to name another one, for the error."""
    path = Path(arg) if arg is not None else Path("Seamlessfile")
    if path.is_dir():
        path = path / "Seamlessfile"
    if not path.is_file():
        raise UsageError(f"no Seamlessfile at {path.absolute()}; "
                         f"run in the project folder, or {how_to_name}")
    return path


_freezing = [False]


def one_command_per_process() -> None:
    """The process ends after this command (the CLI): what planning made may be frozen
    (see without_cyclic_gc). Not so for the Python API, whose caller lives on, and whose
    objects a freeze would keep from the cyclic collector for good."""
    _freezing[0] = True


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Planning allocates objects by the hundred thousand and frees almost none: the
    cyclic collector's passes over them took a third of the time of linking. In the
    CLI they are frozen afterwards, so that the run's own collections skip them too
    (reference counting still frees them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freezing[0]:
            gc.freeze()
        if enabled:
            gc.enable()
