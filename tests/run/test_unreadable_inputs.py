"""A folder that cannot be read fully is an error naming what could not be read, never a
checksum (or an upload, or a step's input) silently without it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Root reads everything; without these capabilities it is held to the permission bits
# like any user, which is what the tests need.
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
          "--inh-caps=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []

STEP = """
step s:
    inputs: data/
    shell: "find data | sort > listing.txt"
    captures: listing.txt
"""


def _sf(project, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    return subprocess.run(
        [*NO_DAC, sys.executable, "-m", "seamlessflow", "-C", str(project.root), *args],
        capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def data(project):
    project.write("Seamlessfile", STEP)
    project.write("data/a.txt", "a\n")
    project.write("data/sub/b.txt", "b\n")
    project.write("data/open/c.txt", "c\n")
    yield project.root / "data"
    for path in (project.root / "data/sub", project.root / "data/open/c.txt"):
        path.chmod(0o755)


@pytest.mark.parametrize("unreadable", ["sub", "open/c.txt"])
@pytest.mark.parametrize("command", [["checksum", "data"], ["upload", "data"], ["run"]],
                         ids=["checksum", "upload", "run"])
def test_an_unreadable_part_of_a_folder_is_an_error_naming_it(project, data, command,
                                                               unreadable):
    (data / unreadable).chmod(0)
    proc = _sf(project, *command)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"data/{unreadable}: permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (project.root / "data.CHECKSUM").exists()
    assert not (project.root / "listing.txt").exists()


def test_once_readable_the_folder_is_whole(project, data):
    (data / "sub").chmod(0)
    assert _sf(project, "run").returncode == 1
    (data / "sub").chmod(0o755)
    proc = _sf(project, "run")
    assert proc.returncode == 0, proc.stderr
    assert "data/sub/b.txt" in project.read("listing.txt")
