"""The clusters.yaml of a test's cluster "lab": one frontend on this host whose
hashserver, database and jobserver are services the test started on loopback."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_lab_cluster(config: Path, hashserver: str, database: str, jobserver: str, *,
                      default: bool = False) -> None:
    """Write `config`/clusters.yaml; `default`: lab is also the local cluster, so a
    workflow without a seamless.yaml uses it."""
    config.mkdir(exist_ok=True)
    (config / "clusters.yaml").write_text(("local_cluster: lab\n" if default else "") +
                                          textwrap.dedent(f"""\
        lab:
          type: local
          frontends:
            - hostname: localhost
              hashserver: {{url: "{hashserver}"}}
              database: {{url: "{database}"}}
              jobserver: {{url: "{jobserver}"}}
        """))
