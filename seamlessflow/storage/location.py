"""Where the cache lives, and which store and database a command uses.

This is the single place that decides, so that later configuration (clusters.yaml,
SEAMLESSFLOW_HASHSERVER, ...) changes every command at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from seamlessflow.storage.local_store import LocalBufferStore
from seamlessflow.storage.sqlite_db import SqliteResultDatabase


def cache_dir() -> Path:
    """Seamless's variable is honoured after ours so that both tools can share a cache."""
    for var in ("SEAMLESSFLOW_CACHE", "SEAMLESS_CACHE"):
        value = os.environ.get(var)
        if value:
            return Path(value).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "seamlessflow"


def buffer_dir() -> Path:
    return cache_dir() / "__TOPLEVEL__"


def database_path() -> Path:
    return buffer_dir() / "seamless.db"


def open_default_store() -> LocalBufferStore:
    return LocalBufferStore(buffer_dir())


def open_default_database() -> SqliteResultDatabase:
    return SqliteResultDatabase(database_path())
