"""Where the cache lives, and which store and database a command uses.

This is the single place that decides, so that later configuration (clusters.yaml,
SEAMLESSFLOW_HASHSERVER, ...) changes every command at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from seamlessflow.errors import UsageError

if TYPE_CHECKING:  # a run told from its record (session/settled.py) needs only the database
    from seamlessflow.config.clusters import Cluster
    from seamlessflow.storage.interfaces import BufferStore, ResultDatabase
    from seamlessflow.storage.layers import Home


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


def open_default_store(cluster: Cluster | None = None) -> BufferStore:
    """The hashserver named by the environment, else the cluster's, else the local
    buffer folder."""
    url = remote_url("buffer") or _cluster_url(cluster, "hashserver")
    if url is not None:
        from seamlessflow.storage.http_store import HttpBufferStore

        return HttpBufferStore(url)
    from seamlessflow.storage.local_store import LocalBufferStore

    return LocalBufferStore(buffer_dir())


def open_default_database(cluster: Cluster | None = None) -> ResultDatabase:
    """The database service named by the environment, else the cluster's, else the
    local SQLite file."""
    url = remote_url("database") or _cluster_url(cluster, "database")
    if url is not None:
        from seamlessflow.storage.http_database import HttpResultDatabase

        return HttpResultDatabase(url)
    from seamlessflow.storage.sqlite_db import SqliteResultDatabase

    return SqliteResultDatabase(database_path())


def open_home(cluster: Cluster | None = None) -> Home:
    """The store and database where the steps of a stage on `cluster` (None: a local
    stage) find their bytes and record their results."""
    from seamlessflow.storage.layers import Home

    return Home(open_default_store(cluster), open_default_database(cluster))


def _cluster_url(cluster: Cluster | None, service: str) -> str | None:
    """A cluster without a hashserver (database) keeps the local cache: enough for a Dask
    cluster whose workers share this machine's file system."""
    if cluster is None or service not in cluster.services:
        return None
    return service_url(cluster, service)


def service_url(cluster: Cluster, service: str) -> str:
    """The URL of a cluster's service: configured (`url:`), or filled in by the
    launcher (seamlessflow.services.launcher) once it found or started the service."""
    entry = cluster.services.get(service)
    if entry is None:
        raise UsageError(f"cluster '{cluster.name}' ({cluster.source}) has no {service}")
    if entry.url is None:
        raise UsageError(
            f"cluster '{cluster.name}' ({cluster.source}): {service} has no url: and was not "
            f"started; `seamlessflow run` starts it (or: seamlessflow serve {service} "
            f"--port-range {entry.port_start or 5100}-{entry.port_end or 5199} ...)")
    return entry.url


def describe_store(store: BufferStore) -> str:
    """Where a store is, for messages: its folder or its URL."""
    return str(getattr(store, "root", None) or getattr(store, "url", None) or store)


_ENV_OF = {"buffer": "SEAMLESSFLOW_HASHSERVER", "database": "SEAMLESSFLOW_DATABASE"}


def remote_url(kind: str) -> str | None:
    """`SEAMLESSFLOW_HASHSERVER` / `SEAMLESSFLOW_DATABASE`, else the first writable
    `remote_url` of that kind in Seamless's `SEAMLESS_REMOTE_CLIENTS` (PROTOCOL.md)."""
    own = os.environ.get(_ENV_OF[kind], "").strip()
    if own:
        return own.rstrip("/")
    raw = os.environ.get("SEAMLESS_REMOTE_CLIENTS", "").strip()
    if not raw:
        return None
    try:
        clients = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"SEAMLESS_REMOTE_CLIENTS is not valid JSON: {exc}") from None
    entries = clients.get(kind, []) if isinstance(clients, dict) else []
    urls = [e for e in entries if isinstance(e, dict) and e.get("remote_url")]
    urls.sort(key=lambda e: bool(e.get("readonly")))  # a writable one first
    return str(urls[0]["remote_url"]).rstrip("/") if urls else None
