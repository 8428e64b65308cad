"""kill -9 at random moments of runs with large captures: the store and the result
database stay true, and a last run gives what a clean run gives.

After every kill: each buffer in the store hashes to its name; each recorded
transformation's dict, result and captured buffers (a captured folder's index and every
file it names) are in the store; each output file in the project is a stored buffer
(written whole, never torn). The moments are drawn from a seeded generator over the
length of a clean run; most runs get a new seed of the input and must compute
everything, some get an earlier one and find some or all of their results cached. A kill that lands after its run
ended does not count toward the twenty.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

SEED = 15
KILLS = 20
WORKFLOW = '''
step make for i in range(0, 6):
    inputs: seed.txt
    params: i
    shell: """
        head -c 2000000 /dev/zero | tr '\\0' "$i" > big.bin
        cat seed.txt >> big.bin
        mkdir -p d/sub
        head -c 1000000 /dev/zero | tr '\\0' "d" > d/sub/part.txt
        echo "$i $(cat seed.txt)" > d/small.txt
        """
    captures: big.bin -> big/{i}.bin, d/ -> dirs/{i}/

step sum for i in range(0, 6):
    inputs: big/{i}.bin -> b.bin, dirs/{i}/ -> d/
    shell: "sha256sum b.bin d/small.txt > s.txt"
    captures: s.txt -> sums/{i}.txt
'''
SEEDS = ("first seed\n", "second seed\n", "third seed\n")


class Place:
    """A project folder with its own cache and temporary folder."""

    def __init__(self, base: Path):
        self.root = base / "project"
        self.cache = base / "cache"
        self.tmp = base / "tmp"
        for folder in (self.root, self.tmp):
            folder.mkdir(parents=True)
        (self.root / "Seamlessfile").write_text(WORKFLOW)
        self.store = self.cache / "__TOPLEVEL__"
        self._verified: dict[str, tuple[int, int, int]] = {}  # buffer -> (inode, size, mtime)

    def start(self, seed: str) -> subprocess.Popen:
        (self.root / "seed.txt").write_text(seed)
        env = {**os.environ, "SEAMLESSFLOW_CACHE": str(self.cache), "TMPDIR": str(self.tmp)}
        env.pop("SEAMLESS_CACHE", None)
        return subprocess.Popen(
            [sys.executable, "-m", "seamlessflow", "-C", str(self.root), "run", "-j", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            start_new_session=True)

    def run(self, seed: str) -> subprocess.CompletedProcess:
        proc = self.start(seed)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def outputs(self) -> dict[str, bytes]:
        """The declared outputs that exist: big/{i}.bin, sums/{i}.txt and every file in
        dirs/{i}/ (temporary files beside them are not outputs)."""
        paths = [self.root / f"{top}/{i}{suffix}" for i in range(6)
                 for top, suffix in (("big", ".bin"), ("sums", ".txt"))]
        paths += [p for i in range(6) for p in (self.root / f"dirs/{i}").rglob("*")]
        return {p.relative_to(self.root).as_posix(): p.read_bytes()
                for p in sorted(paths) if p.is_file()}

    # ---- verification

    def buffers(self) -> set[str]:
        """Every buffer in the store, each checked to hash to its name (once, unless the
        file at that name changed since)."""
        found: set[str] = set()
        if not self.store.exists():
            return found  # killed before it stored anything
        for folder in self.store.iterdir():
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for entry in os.scandir(folder):
                if entry.name.startswith("."):
                    continue  # a temporary file, not a buffer
                st = entry.stat()
                key = (st.st_ino, st.st_size, st.st_mtime_ns)
                if self._verified.get(entry.name) != key:
                    with open(entry.path, "rb") as f:
                        assert hashlib.file_digest(f, "sha256").hexdigest() == entry.name, \
                            f"stored buffer {entry.path} does not match its checksum"
                    self._verified[entry.name] = key
                found.add(entry.name)
        return found

    def verify(self) -> None:
        buffers = self.buffers()
        db_path = self.store / "seamless.db"
        if db_path.exists():
            self._verify_records(db_path, buffers)
        for rel, data in self.outputs().items():
            assert hashlib.sha256(data).hexdigest() in buffers, \
                f"project output {rel} is not a stored buffer: torn or unrecorded"

    def _verify_records(self, db_path: Path, buffers: set[str]) -> None:
        db = sqlite3.connect(db_path)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if "transformation" not in tables:
                return  # killed as the database was being made: it records nothing yet
            rows = db.execute("SELECT checksum, result FROM transformation").fetchall()
            captures = db.execute("SELECT transformation, path, checksum "
                                  "FROM seamlessflow_capture").fetchall()
        finally:
            db.close()
        for transformation, result in rows:
            assert transformation in buffers, f"transformation {transformation} not stored"
            assert result in buffers, f"result {result} of {transformation} not stored"
            named = json.loads((self.store / result[:2] / result).read_bytes())
            for path, checksum in named.items():
                self._require(checksum, path.endswith("/"), buffers, transformation)
        for transformation, path, checksum in captures:
            self._require(checksum, path.endswith("/"), buffers, transformation)

    def _require(self, checksum: str, is_dir: bool, buffers: set[str], owner: str) -> None:
        assert checksum in buffers, f"capture {checksum} recorded for {owner} not stored"
        if is_dir:
            index = json.loads((self.store / checksum[:2] / checksum).read_bytes())
            missing = [rel for rel, cs in index.items() if cs not in buffers]
            assert not missing, f"files {missing} of folder {checksum} not stored"


def test_twenty_kill_9s_leave_a_true_store_and_database_and_a_rerun_matches(tmp_path):
    rng = random.Random(SEED)
    final_seed = SEEDS[0]
    clean = Place(tmp_path / "clean")
    started = time.monotonic()
    clean.run(final_seed)
    length = time.monotonic() - started
    expected = clean.outputs()
    assert len(expected) == 6 * 4

    place = Place(tmp_path / "killed")
    landed = 0
    for attempt in range(10 * KILLS):  # a bound for the loop; landing 20 takes ~35 tries
        # mostly a new seed, so that most kills land in real work; sometimes an old one,
        # whose results are partly or wholly cached
        proc = place.start(rng.choice(SEEDS) if rng.random() < 0.3 else f"seed {attempt}\n")
        # the moment of the kill, not a wait for a result: within the first 80% of a clean
        # run, so that a machine busier (or idler) than during the clean run still lands most
        time.sleep(rng.uniform(0.0, 0.8 * length))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            landed += 1
        proc.communicate(timeout=120)
        place.verify()
        if landed == KILLS:
            break
    assert landed == KILLS, f"only {landed} of {attempt + 1} kills landed during a run"

    place.run(final_seed)
    place.verify()
    assert place.outputs() == expected
