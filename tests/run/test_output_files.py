"""`run --report FILE`, `resolve -o FILE` and `fingertip -o FILE` write through a FIFO or
a symlink that stands at FILE (the idiom `--report /dev/stdout`), replace a regular file
atomically, and give what they write the umask's permissions.

The symlinks here point at /proc/self/fd/1, which is what /dev/stdout is, so that a
faulty build replaces a file of the test's own rather than the machine's /dev/stdout."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

WORKFLOW = '''
step copy:
    inputs: a.txt
    shell: "cat a.txt a.txt > b.txt"
    captures: b.txt
'''


@pytest.fixture
def ran(project):
    project.write("Seamlessfile", WORKFLOW)
    project.write("a.txt", "payload\n")
    return project


def _report_in(text: str) -> dict:
    """The JSON report in a run's standard output, after the run's own lines."""
    return json.loads(text[text.index("\n{") + 1:])


@contextmanager
def _fifo_reader(path: Path) -> Iterator[list[bytes]]:
    """A FIFO at `path` with a reader already open (so that a writer neither blocks nor
    fails); what came through is in the yielded list when the block ends."""
    os.mkfifo(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    got: list[bytes] = []
    try:
        yield got
        try:
            while chunk := os.read(fd, 1 << 16):
                got.append(chunk)
        except BlockingIOError:
            pass
    finally:
        os.close(fd)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_report_through_a_symlink_to_standard_output(ran, tmp_path: Path) -> None:
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    proc = ran.sf("run", "--report", str(link))
    assert link.is_symlink()
    assert _report_in(proc.stdout)["instances"][0]["status"] == "ran"


def test_report_into_the_real_dev_stdout(ran) -> None:
    proc = ran.sf("run", "--report", "/dev/stdout")
    assert _report_in(proc.stdout)["ok"] is True
    assert Path("/dev/stdout").is_symlink()


def test_report_through_a_fifo(ran, tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    with _fifo_reader(fifo) as got:
        ran.sf("run", "--report", str(fifo))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(b"".join(got))["instances"][0]["name"] == "copy"


def test_report_through_a_symlink_to_a_file_keeps_the_link(ran,
                                                            tmp_path: Path) -> None:
    target = tmp_path / "reports" / "last.json"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    ran.sf("run", "--report", str(link))
    assert link.is_symlink()
    assert json.loads(target.read_text())["ok"] is True


def test_report_and_resolved_files_get_the_umask_permissions(ran,
                                                            tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    resolved = tmp_path / "resolved.txt"
    with _umask(0o022):
        ran.sf("run", "--report", str(report))
        checksum = json.loads(report.read_text())["instances"][0]["captures"]["b.txt"]
        ran.sf("resolve", checksum, "-o", str(resolved))
        ran.sf("run", "--report", str(report))  # replacing an existing file
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    assert stat.S_IMODE(resolved.stat().st_mode) == 0o644
    assert resolved.read_text() == "payload\npayload\n"


def test_resolve_and_fingertip_write_through_a_fifo_and_a_symlink(ran,
                                                                 tmp_path: Path) -> None:
    checksum = ran.run()["copy"]["captures"]["b.txt"]
    for command in ("resolve", "fingertip"):
        fifo = tmp_path / f"{command}.fifo"
        with _fifo_reader(fifo) as got:
            ran.sf(command, checksum, "-o", str(fifo))
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert b"".join(got) == b"payload\npayload\n"

        link = tmp_path / f"{command}-stdout"
        link.symlink_to("/proc/self/fd/1")
        proc = ran.sf(command, checksum, "-o", str(link))
        assert link.is_symlink()
        assert proc.stdout == "payload\npayload\n"


def test_a_regular_file_is_still_replaced_whole(ran, tmp_path: Path) -> None:
    """The atomic path for a regular file: the old, longer content leaves no tail."""
    checksum = ran.run()["copy"]["captures"]["b.txt"]
    out = tmp_path / "out.txt"
    out.write_text("a much longer old content than the buffer\n" * 10)
    ran.sf("resolve", checksum, "-o", str(out))
    assert out.read_text() == "payload\npayload\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".seamlessflow-tmp-")]
