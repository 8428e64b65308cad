"""seamlessflow's hashserver answers the requests Seamless's clients make as the real
hashserver does, and each serves the buffer folder the other wrote."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def own_hashserver(tmp_path) -> Iterator:
    """start(folder) -> the base URL of `seamlessflow serve hashserver --writable
    --no-token`: Seamless's clients send no token."""
    procs: list[subprocess.Popen] = []

    def start(folder: Path) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "serve", "hashserver", "--writable", "--no-token",
             "--dir", str(folder), "--port-range", "44100-44999"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(proc)
        line = proc.stdout.readline().strip()
        assert line.startswith("serving hashserver on "), line
        return line.rsplit(" ", 1)[1]

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def _session(http) -> list[tuple[str, int, bytes]]:
    """What a Seamless client does, as (request, status, body) for comparison."""
    data, other = b"buffer bytes\n" * 1000, b"other"
    absent = _sha(b"never stored")
    steps = [
        ("healthcheck", http.request("GET", "/healthcheck")),
        ("put new", http.put(_sha(data), data)),
        ("put again", http.put(_sha(data), data)),
        ("put wrong checksum", http.put(_sha(b"not it"), other)),
        ("get", http.get(_sha(data))),
        ("get absent", http.get(absent)),
        ("get wrong-checksum target", http.get(_sha(b"not it"))),
        ("get malformed", http.get("not-a-checksum")),
        # seamless-run promises each buffer before it uploads it
        ("promise", http.request("PUT", "/promise/" + _sha(b"promised"))),
        ("promise malformed", http.request("PUT", "/promise/not-a-checksum")),
    ]
    out = [(name, reply.status, reply.body if reply.status in (200, 202) else b"")
           for name, reply in steps]
    out.append(("has", 200, json.dumps(http.query("/has", [_sha(data), absent])).encode()))
    out.append(("buffer-length", 200,
                json.dumps(http.query("/buffer-length", [_sha(data), absent])).encode()))
    return out


def test_own_hashserver_answers_like_the_real_one(tmp_path, hashserver, own_hashserver):
    real = hashserver(tmp_path / "real")
    own = type(real)(own_hashserver(tmp_path / "own"))
    real_session, own_session = _session(real), _session(own)
    assert [(n, s) for n, s, _ in own_session] == [(n, s) for n, s, _ in real_session]
    assert [b for _, s, b in own_session] == [b for _, s, b in real_session]
    # and the two folders hold the same files, by the same names
    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes()
                for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert files(tmp_path / "own") == files(tmp_path / "real")


def test_each_serves_the_folder_the_other_wrote(tmp_path, hashserver, own_hashserver):
    one, two = b"written by the real hashserver", b"written by seamlessflow's"
    real = hashserver(tmp_path / "a")
    own = type(real)(own_hashserver(tmp_path / "b"))
    assert real.put(_sha(one), one).status == 200
    assert own.put(_sha(two), two).status == 200
    # now swap: each server on the other's folder
    own_on_a = type(real)(own_hashserver(tmp_path / "a"))
    real_on_b = hashserver(tmp_path / "b")
    assert own_on_a.get(_sha(one)).body == one
    assert real_on_b.get(_sha(two)).body == two
