"""checksum / upload / download / resolve through the real `seamlessflow` executable."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).parent / "seamlessflow"


@pytest.fixture
def sf(tmp_path):
    cache = tmp_path / "cache"
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(cache)}

    def call(*args: str, stdout=None) -> subprocess.CompletedProcess:
        return subprocess.run([str(EXE), *args], cwd=work, env=env, timeout=60,
                              stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE)

    call.work, call.cache = work, cache
    return call


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_tree(root: Path) -> dict[str, bytes]:
    files = {"a.txt": b"alpha\n", "sub/deep/b.bin": os.urandom(100_000), ".hidden": b"h",
             "ünï.txt": "é".encode()}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (root / "empty").mkdir()
    return files


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_checksum_prints_like_sha256sum_and_writes_nothing(sf):
    (sf.work / "f.txt").write_bytes(b"some bytes\n")
    files = make_tree(sf.work / "d")
    before = sorted(p.name for p in sf.work.iterdir())
    out = sf("checksum", "f.txt", "d")
    assert out.returncode == 0, out.stderr
    index = {rel: sha(data) for rel, data in files.items()}
    deep = sha((json.dumps(index, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode())
    sha256sum = subprocess.run(["sha256sum", "f.txt"], cwd=sf.work, capture_output=True,
                               check=True).stdout
    assert out.stdout == sha256sum + f"{deep}  d\n".encode()
    assert sorted(p.name for p in sf.work.iterdir()) == before
    assert not sf.cache.exists()


def test_checksum_of_a_missing_file_fails_clearly_but_prints_the_others(sf):
    (sf.work / "f").write_bytes(b"x")
    out = sf("checksum", "missing.txt", "f")
    assert out.returncode == 1
    assert b"missing.txt" in out.stderr and b"no such file" in out.stderr
    assert out.stdout == f"{sha(b'x')}  f\n".encode()
    assert b"Traceback" not in out.stderr


def test_upload_delete_download_round_trip(sf):
    (sf.work / "f.bin").write_bytes(os.urandom(3_000_000))
    files = make_tree(sf.work / "d")
    original = (sf.work / "f.bin").read_bytes()
    out = sf("upload", "f.bin", "d/")
    assert out.returncode == 0, out.stderr
    assert (sf.work / "f.bin.CHECKSUM").read_text() == sha(original) + "\n"
    assert (sf.work / "d.CHECKSUM").exists() and (sf.work / "d.INDEX").exists()
    assert sf("upload", "f.bin", "d/").stdout == out.stdout  # idempotent
    (sf.work / "f.bin").unlink()
    shutil.rmtree(sf.work / "d")
    out = sf("download", "f.bin", "d.CHECKSUM")
    assert out.returncode == 0, out.stderr
    assert (sf.work / "f.bin").read_bytes() == original
    assert snapshot(sf.work / "d") == files


def test_download_keeps_an_unknown_local_version_in_the_store(sf):
    (sf.work / "f.txt").write_bytes(b"uploaded version")
    sf("upload", "f.txt")
    (sf.work / "f.txt").write_bytes(b"my unsaved edits")
    out = sf("download", "f.txt")
    assert out.returncode == 0, out.stderr
    assert (sf.work / "f.txt").read_bytes() == b"uploaded version"
    assert sha(b"my unsaved edits").encode() in out.stderr
    back = sf("resolve", sha(b"my unsaved edits"))
    assert back.stdout == b"my unsaved edits"


def test_download_over_a_user_folder_refuses_and_keeps_it(sf):
    """A file's sidecar, a folder of the user's at its path: the folder stays, nothing
    claims that it was replaced, and the error says what to do."""
    (sf.work / "f.txt").write_bytes(b"uploaded file")
    sf("upload", "f.txt")
    (sf.work / "f.txt").unlink()
    (sf.work / "f.txt").mkdir()
    (sf.work / "f.txt" / "mine").write_bytes(b"my work")
    out = sf("download", "f.txt")
    assert out.returncode == 1
    assert b"is replaced" not in out.stderr
    assert b"f.txt.CHECKSUM names a file, but f.txt is a directory, which was left as it " \
           b"is; move it away, then download again" in out.stderr
    assert snapshot(sf.work / "f.txt") == {"mine": b"my work"}
    shutil.rmtree(sf.work / "f.txt")
    assert sf("download", "f.txt").returncode == 0
    assert (sf.work / "f.txt").read_bytes() == b"uploaded file"


def test_download_with_a_slash_rebuilds_a_folder_from_its_sidecar_alone(sf):
    files = make_tree(sf.work / "d")
    sf("upload", "d")
    shutil.rmtree(sf.work / "d")
    (sf.work / "d.INDEX").unlink()
    out = sf("download", "d/")
    assert out.returncode == 0, out.stderr
    assert snapshot(sf.work / "d") == files
    (sf.work / "f.txt").write_bytes(b"a file")
    sf("upload", "f.txt")
    (sf.work / "f.txt").unlink()
    wrong = sf("download", "f.txt/")
    assert wrong.returncode == 1
    assert b"f.txt.CHECKSUM names a file, not a directory; download f.txt without the '/'" \
        in wrong.stderr
    assert not (sf.work / "f.txt").exists()


def test_download_without_a_slash_rebuilds_a_folder_from_its_sidecar_alone(sf):
    """No `d.INDEX`, no `d/`: the checksum names a folder index the store holds, so the
    folder is written, not its index as a file `d`."""
    files = make_tree(sf.work / "d")
    sf("upload", "d")
    shutil.rmtree(sf.work / "d")
    (sf.work / "d.INDEX").unlink()
    out = sf("download", "d")
    assert out.returncode == 0, out.stderr
    assert snapshot(sf.work / "d") == files
    assert sf("download", "d.CHECKSUM").returncode == 0  # nothing to do: it matches
    assert snapshot(sf.work / "d") == files
    # the folder's index as a file `d`, as this download used to write it, becomes the folder
    shutil.rmtree(sf.work / "d")
    index = sf("resolve", (sf.work / "d.CHECKSUM").read_text().strip()).stdout
    (sf.work / "d").write_bytes(index)
    assert sf("download", "d").returncode == 0
    assert snapshot(sf.work / "d") == files
    # an empty folder's checksum is that of a file `{}`: a file, unless `e/` says folder
    (sf.work / "e").mkdir()
    sf("upload", "e")
    (sf.work / "e").rmdir()
    (sf.work / "e.INDEX").unlink()
    assert sf("download", "e").returncode == 0
    assert (sf.work / "e").read_bytes() == b"{}\n"
    (sf.work / "e").unlink()
    assert sf("download", "e/").returncode == 0
    assert (sf.work / "e").is_dir() and not any((sf.work / "e").iterdir())
    # a JSON file that is not a folder index stays a file
    (sf.work / "j.json").write_bytes(b'{\n  "a": 1\n}\n')
    sf("upload", "j.json")
    (sf.work / "j.json").unlink()
    assert sf("download", "j.json").returncode == 0
    assert (sf.work / "j.json").read_bytes() == b'{\n  "a": 1\n}\n'


def test_download_with_missing_buffer_fails_and_leaves_no_file(sf):
    (sf.work / "f.txt").write_bytes(b"bytes")
    sf("upload", "f.txt")
    (sf.work / "f.txt").unlink()
    shutil.rmtree(sf.cache)
    out = sf("download", "f.txt")
    assert out.returncode == 1
    assert sha(b"bytes").encode() in out.stderr and b"not in the buffer store" in out.stderr
    assert sorted(p.name for p in sf.work.iterdir()) == ["f.txt.CHECKSUM"]


def test_download_with_malformed_sidecar_names_it(sf):
    (sf.work / "f.txt.CHECKSUM").write_text("not a checksum\n")
    out = sf("download", "f.txt")
    assert out.returncode == 1
    assert b"f.txt.CHECKSUM" in out.stderr and b"Traceback" not in out.stderr


def test_resolve_to_stdout_and_file(sf):
    (sf.work / "f").write_bytes(b"resolve me")
    sf("upload", "f")
    cs = sha(b"resolve me")
    assert sf("resolve", cs).stdout == b"resolve me"
    assert sf("resolve", cs, "-o", "out/copy").returncode == 0
    assert (sf.work / "out" / "copy").read_bytes() == b"resolve me"


def test_resolve_missing_malformed_and_corrupt(sf):
    absent = sf("resolve", sha(b"never"))
    assert absent.returncode == 1 and b"not in the buffer store" in absent.stderr
    assert sf("resolve", "1234").returncode == 2
    (sf.work / "f").write_bytes(b"will rot")
    sf("upload", "f")
    cs = sha(b"will rot")
    stored = sf.cache / "__TOPLEVEL__" / cs[:2] / cs
    stored.chmod(0o644)
    stored.write_bytes(b"bit rot!")
    out = sf("resolve", cs)
    assert out.returncode == 1 and out.stdout == b""
    assert b"corrupt" in out.stderr
    out = sf("resolve", cs, "-o", "dest")
    assert out.returncode == 1 and not (sf.work / "dest").exists()


def test_resolve_into_a_full_disk_says_so(sf):
    (sf.work / "f").write_bytes(os.urandom(200_000))
    sf("upload", "f")
    with open("/dev/full", "wb") as full:
        out = sf("resolve", sha((sf.work / "f").read_bytes()), stdout=full)
    assert out.returncode == 1
    assert b"no space left on device" in out.stderr and b"Traceback" not in out.stderr


def test_upload_into_an_unwritable_store_says_permission_denied(sf):
    (sf.work / "f").write_bytes(b"x")
    sf.cache.mkdir()
    lock = _make_unwritable(sf.cache)
    try:
        out = sf("upload", "f")
    finally:
        lock()
    assert out.returncode == 1
    assert b"permission denied" in out.stderr.lower() or b"not permitted" in out.stderr.lower()
    assert not (sf.work / "f.CHECKSUM").exists()


def _make_unwritable(folder: Path):
    """chmod for ordinary users; root ignores modes, so use the immutable attribute."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    subprocess.run(["chattr", "+i", str(folder)], check=True)
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
