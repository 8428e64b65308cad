"""`clusters.yaml`: which services a named cluster has, and where they are.

Parsed strictly: a typo in a file that decides where results are stored must not be
skipped over silently, so every problem names the file and the key path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamlessflow.config.yaml_file import ABSENT, read_yaml
from seamlessflow.errors import UsageError
from seamlessflow.language.suggest import did_you_mean

SERVICES = ("hashserver", "database", "jobserver", "daskserver")
DEFAULT_IDLE_TIMEOUT_S = 600.0  # services `run` starts stop after this long without work
_SERVICE_KEYS = ("url", "network_interface", "port_start", "port_end", "bufferdir",
                 "database_dir", "conda")


@dataclass(frozen=True)
class ServiceEntry:
    """One service of a cluster: extern (`url`, never launched or stopped by us) or one
    that seamlessflow may launch on a port of the range."""

    service: str
    url: str | None = None
    network_interface: str = "127.0.0.1"
    port_start: int | None = None
    port_end: int | None = None
    directory: str | None = None  # bufferdir (hashserver) or database_dir (database)
    raw: dict[str, Any] = field(default_factory=dict)  # as written (daskserver: open_dask)


@dataclass(frozen=True)
class Cluster:
    name: str
    type: str
    services: dict[str, ServiceEntry]
    source: str  # the clusters.yaml it came from
    # seconds without work after which a service seamlessflow started stops; 0: never
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT_S
    # False: a run using this cluster keeps every result and buffer there, none locally
    local_cache: bool = True


def config_dir() -> Path:
    folder = os.environ.get("SEAMLESS_CONFIG_DIR")
    return Path(folder).expanduser() if folder else Path.home() / ".seamless"


def clusters_file() -> Path:
    return config_dir() / "clusters.yaml"


def load_clusters(path: Path | None = None) -> dict[str, Cluster]:
    """Every cluster of clusters.yaml; an absent file means no clusters."""
    path = path or clusters_file()
    data = read_yaml(path)
    if data is ABSENT:
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping of cluster name -> settings")
    clusters = {}
    for name, body in data.items():
        if name == "local_cluster":  # Seamless's pointer to the local cluster: accepted
            continue
        clusters[str(name)] = _cluster(path, str(name), body)
    return clusters


def _cluster(path: Path, name: str, body: Any) -> Cluster:
    where = f"{path}: cluster '{name}'"
    if not isinstance(body, dict):
        raise UsageError(f"{where}: expected a mapping with type: and frontends:")
    kind = str(body.get("type", "local"))
    frontends = body.get("frontends", [])
    if not isinstance(frontends, list) or not all(isinstance(f, dict) for f in frontends):
        raise UsageError(f"{where}: frontends: expected a list of mappings")
    services: dict[str, ServiceEntry] = {}
    for index, frontend in enumerate(frontends[:1]):  # the first frontend is the one used
        for key, value in frontend.items():
            at = f"{where}: frontends[{index}].{key}"
            if key in ("hostname", "conda", "ssh_hostname", "ssh_username"):
                continue
            if key not in SERVICES:
                raise UsageError(f"{at}: unknown service{did_you_mean(str(key), SERVICES)}")
            services[key] = _service(at, key, value)
    return Cluster(name, kind, services, str(path), _idle_timeout(where, body),
                   _local_cache(where, body))


def _idle_timeout(where: str, body: dict[str, Any]) -> float:
    """At least a second, or 0: a run keeps its services up by pinging them four times
    per timeout, which a shorter one would turn into a race."""
    value = body.get("idle_timeout", DEFAULT_IDLE_TIMEOUT_S)
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not (value == 0 or 1 <= value < float("inf")):
        raise UsageError(f"{where}: idle_timeout: expected a number of seconds, at least 1 "
                         f"(or 0: services keep running until `seamlessflow services stop`), "
                         f"not {value!r}")
    return float(value)


def _local_cache(where: str, body: dict[str, Any]) -> bool:
    value = body.get("local_cache", True)
    if not isinstance(value, bool):
        raise UsageError(f"{where}: local_cache: expected true (results computed here stay "
                         f"in the local cache) or false (every result and buffer of a run "
                         f"using the cluster goes to the cluster), not {value!r}")
    return value


def _service(at: str, service: str, body: Any) -> ServiceEntry:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise UsageError(f"{at}: expected a mapping (url: or network_interface/port_start/...)")
    for key in body:
        if key not in _SERVICE_KEYS and service != "daskserver":  # open_dask checks its own
            raise UsageError(f"{at}.{key}: unknown key{did_you_mean(str(key), _SERVICE_KEYS)}")
    ports = []
    for key in ("port_start", "port_end"):
        value = body.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 < value < 65536):
            raise UsageError(f"{at}.{key}: expected a port number, not {value!r}")
        ports.append(value)
    url = body.get("url")
    if url is not None and not str(url).startswith(("http://", "https://", "tcp://", "tls://")):
        raise UsageError(f"{at}.url: expected http://HOST:PORT (tcp:// for a daskserver), "
                         f"not {url!r}")
    return ServiceEntry(
        service=service,
        url=str(url).rstrip("/") if url else None,
        network_interface=str(body.get("network_interface", "127.0.0.1")),
        port_start=ports[0], port_end=ports[1],
        directory=body.get("bufferdir") or body.get("database_dir"),
        raw=dict(body),
    )
