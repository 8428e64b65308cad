"""Service tokens on disk: written by `seamlessflow serve`, found by clients of the same account.

Loopback is no boundary between users (every account of a login node can reach it), so
each service that writes or runs commands has a bearer token. The service keeps it in
`CONFIG/seamlessflow-tokens/HOST-PORT.json` (CONFIG: $SEAMLESS_CONFIG_DIR or ~/.seamless,
the folder of clusters.yaml: per user, where the cache folder may be shared), a 0600 file
in a 0700 folder, so only its owner can read it; a client of that owner finds it by its
own host name and the port of the URL it talks to, and nobody has to configure anything.
HOST is in the name because CONFIG is often a home folder shared by the machines of a
cluster: services on the same port of two machines each have their own file.

A client trusts a token file only if it is its own (owner uid, no group or other access),
names this machine, and its service is still running: a token is never sent to another
host, nor to whatever listens on the port of a service that died.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import socket
import stat
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path

from seamlessflow.storage.atomic import atomic_write_bytes, os_error
from seamlessflow.storage.processes import process_exists
from seamlessflow.storage.wire import TOKEN_ENV

TOKEN_FOLDER = "seamlessflow-tokens"
HOSTNAME_ENV = "SEAMLESSFLOW_HOSTNAME"
_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600


@dataclass(frozen=True)
class TokenFile:
    token: str
    uid: int  # the owner: a file another account made is never trusted
    pid: int  # the service: a file whose service died is stale
    host: str  # this machine's name: CONFIG may be a home folder shared by many machines
    url: str  # as the service announced it
    # a Dask scheduler's: its TLS certificate (PEM), `token` then being the private key
    certificate: str | None = None


def token_dir() -> Path:
    from seamlessflow.config.clusters import config_dir

    return config_dir() / TOKEN_FOLDER


def this_host() -> str:
    """This machine's name in token files: $SEAMLESSFLOW_HOSTNAME, else the host name.
    The variable is for machines that share a home folder and report the same host name."""
    return os.environ.get(HOSTNAME_ENV, "").strip() or socket.gethostname()


def token_path(port: int) -> Path:
    """This machine's file for `port`; the record inside names the host too, so two
    names that differ only in characters a file name cannot hold are still told apart."""
    return token_dir() / f"{re.sub(r'[^A-Za-z0-9._-]', '_', this_host())}-{port}.json"


def write_token_file(port: int, token: str, url: str, certificate: str | None = None) -> Path:
    """Record the token of the service on `port`, readable by its owner only (atomic:
    a client never reads half a file). Stale files of dead services are removed first."""
    folder = token_dir()
    try:
        folder.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(folder, _PRIVATE_DIR)  # an existing folder may have been made with the umask
    except OSError as exc:
        raise os_error(exc, folder, "create the token folder") from None
    _remove_stale(folder)
    path = token_path(port)
    record = TokenFile(token, os.getuid(), os.getpid(), this_host(), url, certificate)
    atomic_write_bytes(path, json.dumps(asdict(record)).encode(), mode=_PRIVATE_FILE)
    return path


def remove_token_file(port: int) -> None:
    """Remove the file of the service on `port` if it is still this process's (another
    service may have taken the port and the file since)."""
    path = token_path(port)
    record = read_token_file(path)
    if record is not None and record.pid == os.getpid() and record.host == this_host():
        path.unlink(missing_ok=True)


def read_token_file(path: Path) -> TokenFile | None:
    """The record at `path` if it can be trusted: ours, private, well-formed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None  # absent, unreadable (another user's), or a symlink
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o077 or not stat.S_ISREG(st.st_mode):
            return None
        try:
            record = TokenFile(**json.loads(f.read(1 << 16)))
        except (ValueError, TypeError):
            return None
    if record.uid != os.getuid() or not isinstance(record.token, str) or not record.token:
        return None
    return record


def resolve_token(url: str, explicit: str | None) -> str | None:
    """The token a client sends to `url`: an explicit one (from its caller's configuration;
    "" means none), else the token file of the URL's port, else $SEAMLESSFLOW_TOKEN."""
    if explicit is not None:
        return explicit or None
    return token_for_url(url) or os.environ.get(TOKEN_ENV, "").strip() or None


def token_for_url(url: str) -> str | None:
    """The token of a service of ours on this machine at `url`, if there is one."""
    record = record_for_url(url)
    return record.token if record is not None else None


def record_for_url(url: str) -> TokenFile | None:
    """The token file of a running service of ours on this machine at `url` (http://
    or a Dask scheduler's tls://), if there is one."""
    parsed = urllib.parse.urlsplit(url)
    try:
        port = parsed.port
    except ValueError:
        return None
    if port is None or not _is_this_machine(parsed.hostname or ""):
        return None
    record = read_token_file(token_path(port))
    if record is None or record.host != this_host() or not process_exists(record.pid, ours_only=True):
        return None
    return record


def _is_this_machine(hostname: str) -> bool:
    if hostname in ("localhost", socket.gethostname()):
        return True
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return False
    if address.is_loopback:
        return True
    try:  # an address of one of this machine's interfaces binds; any other does not
        with socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET) as s:
            s.bind((str(address), 0))
        return True
    except OSError:
        return False


def _remove_stale(folder: Path) -> None:
    """Files left by services of this machine that were killed (kill -9 skips cleanup)."""
    for path in folder.glob("*.json"):
        record = read_token_file(path)
        if record is not None and record.host == this_host() and not process_exists(record.pid, ours_only=True):
            path.unlink(missing_ok=True)
