"""A cluster whose services have port ranges but no url: `run` starts them, a run from
another folder reuses them, `services status` lists them and `services stop` stops them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from seamlessflow.identity.checksum import checksum_bytes

REPO = Path(__file__).resolve().parents[2]


def _sf(env: dict, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seamlessflow", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_run_starts_missing_services_and_later_runs_reuse_them(tmp_path, raw):
    config = tmp_path / "config"
    config.mkdir()
    (config / "clusters.yaml").write_text(textwrap.dedent("""\
        lab:
          type: local
          frontends:
            - hostname: localhost
              hashserver: {port_start: 43100, port_end: 43199}
              database: {port_start: 43200, port_end: 43299}
              jobserver: {port_start: 43300, port_end: 43399}
        """))
    env = {**os.environ, "SEAMLESS_CONFIG_DIR": str(config),
           "SEAMLESSFLOW_CACHE": str(tmp_path / "cache")}
    env.pop("SEAMLESSFLOW_HASHSERVER", None)
    env.pop("SEAMLESSFLOW_DATABASE", None)
    roots = []
    for name in ("one", "two"):
        root = tmp_path / name
        shutil.copytree(REPO / "examples" / "workflows" / "wordstats", root)
        (root / "seamless.yaml").write_text("- cluster: lab\n")
        roots.append(root)
    try:
        first = _sf(env, "-C", roots[0], "run")
        assert first.returncode == 0, first.stderr
        assert "5 ran" in first.stdout
        status = _sf(env, "services", "status")
        lines = status.stdout.splitlines()
        assert [line.split()[1] for line in lines] == ["database", "hashserver", "jobserver"]
        assert all(line.endswith("running") for line in lines)
        # the buffers are in the cluster's folder under the cache, served by its hashserver
        assert any((tmp_path / "cache" / "clusters" / "lab" / "buffers").rglob("*"))

        second = _sf(env, "-C", roots[1], "run")
        assert second.returncode == 0, second.stderr
        assert "5 cached" in second.stdout
        assert _sf(env, "services", "status").stdout == status.stdout  # same URLs and PIDs

        # each launched service has its own private token, which the runs found by
        # themselves; without it, nobody writes to them
        urls = [line.split()[2] for line in lines]
        token_files = [config / "seamlessflow-tokens" / f"{socket.gethostname()}-{url.rsplit(':', 1)[1]}.json"
                       for url in urls]
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in token_files)
        assert len({json.loads(f.read_text())["token"] for f in token_files}) == 3
        hashserver = urls[1]
        data = b"planted"
        assert raw(hashserver, "PUT", f"/{checksum_bytes(data)}", data,
                           owner=False)[0] == 401
    finally:
        stopped = _sf(env, "services", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not any(f.exists() for f in token_files)
    assert stopped.stdout.count("stopped") == 3
    pids = [int(line.split("pid")[1].split()[0]) for line in stopped.stdout.splitlines()]
    assert not any(Path(f"/proc/{pid}").exists() and
                   b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids)
    assert _sf(env, "services", "status").stdout.startswith("no services started")
