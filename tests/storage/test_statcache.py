"""The stat cache: unchanged files are not re-read, edits are never missed."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from seamlessflow.identity.checksum import checksum_fd
from seamlessflow.storage.statcache import StatCache


class CountingHasher:
    """Counts the files the cache reads."""

    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, fd: int, size: int) -> str:
        self.calls.append(fd)
        return checksum_fd(fd, size)


def old_file(path: Path, data: bytes) -> Path:
    """A file last modified a minute ago, so its cache entries are not racy."""
    path.write_bytes(data)
    past = time.time_ns() - 60_000_000_000
    os.utime(path, ns=(past, past))
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_unchanged_file_is_not_reread_even_after_save_and_load(tmp_path):
    f = old_file(tmp_path / "in.txt", b"content")
    hasher = CountingHasher()
    cache = StatCache.load(tmp_path / "state", hasher=hasher)
    assert cache.checksum(f) == sha(b"content")
    assert cache.checksum(f) == sha(b"content")
    assert len(hasher.calls) == 1
    cache.save()
    again = CountingHasher()
    reloaded = StatCache.load(tmp_path / "state", hasher=again)
    assert reloaded.checksum(f) == sha(b"content")
    assert again.calls == []


def test_same_size_edit_with_mtime_restored_is_noticed(tmp_path):
    f = old_file(tmp_path / "in.txt", b"version 1")
    cache = StatCache.load(tmp_path / "state", hasher=CountingHasher())
    assert cache.checksum(f) == sha(b"version 1")
    st = f.stat()
    f.write_bytes(b"version 2")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # size and mtime as before
    assert cache.checksum(f) == sha(b"version 2")  # ctime gave it away


def test_replaced_file_same_stat_is_noticed_by_inode(tmp_path):
    f = old_file(tmp_path / "in.txt", b"aaaa")
    cache = StatCache.load(tmp_path / "state", hasher=CountingHasher())
    assert cache.checksum(f) == sha(b"aaaa")
    st = f.stat()
    new = old_file(tmp_path / "new.txt", b"bbbb")
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(new, f)
    assert cache.checksum(f) == sha(b"bbbb")


def test_racy_entry_is_verified_by_hashing_again(tmp_path):
    f = tmp_path / "fresh.txt"
    f.write_bytes(b"just written")  # mtime == now: an edit in this same tick could hide
    hasher = CountingHasher()
    cache = StatCache.load(tmp_path / "state", hasher=hasher)
    cache.checksum(f)
    cache.checksum(f)
    assert len(hasher.calls) == 2


def _hashes_for_two_lookups(path: Path, mtime_ns: int) -> int:
    os.utime(path, ns=(mtime_ns, mtime_ns))
    hasher = CountingHasher()
    cache = StatCache(None, hasher=hasher)
    cache.checksum(path)
    cache.checksum(path)
    return len(hasher.calls)


def test_a_fine_timestamp_is_trusted_a_moment_later_a_whole_second_one_is_not(tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"written a moment ago")
    now = time.time_ns()
    assert _hashes_for_two_lookups(f, now - 500_000_123) == 1  # 0.5 s, nanosecond mtime
    # a whole-second mtime may come from a file system that rounds (FAT: 2 s)
    assert _hashes_for_two_lookups(f, (now // 1_000_000_000 - 1) * 1_000_000_000) == 2
    assert _hashes_for_two_lookups(f, now - 50_000_000) == 2  # within the clock's tick


def test_touch_changes_nothing_in_the_checksum(tmp_path):
    f = old_file(tmp_path / "in.txt", b"same")
    cache = StatCache.load(tmp_path / "state", hasher=CountingHasher())
    before = cache.checksum(f)
    f.touch()
    assert cache.checksum(f) == before == sha(b"same")


def test_corrupt_or_missing_cache_file_is_an_empty_cache(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "statcache.json").write_bytes(b"\x00not json{")
    f = old_file(tmp_path / "in.txt", b"x")
    hasher = CountingHasher()
    cache = StatCache.load(state, hasher=hasher)
    assert cache.checksum(f) == sha(b"x")
    cache.save()
    assert StatCache.load(state, hasher=CountingHasher()).checksum(f) == sha(b"x")
    assert StatCache.load(tmp_path / "absent").checksum(f) == sha(b"x")


def test_save_writes_only_when_something_changed(tmp_path):
    f = old_file(tmp_path / "in.txt", b"x")
    cache = StatCache.load(tmp_path / "state")
    cache.save()
    assert not (tmp_path / "state").exists()
    cache.checksum(f)
    cache.save()
    written = (tmp_path / "state" / "statcache.json").stat().st_mtime_ns
    cache = StatCache.load(tmp_path / "state")
    cache.checksum(f)
    cache.save()
    assert (tmp_path / "state" / "statcache.json").stat().st_mtime_ns == written


def test_file_changing_while_hashed_is_not_recorded(tmp_path):
    f = old_file(tmp_path / "in.txt", b"before")

    def editing_hasher(fd: int, size: int) -> str:
        digest = checksum_fd(fd, size)
        old_file(f, b"after!")  # the edit lands while seamlessflow reads
        return digest

    cache = StatCache.load(tmp_path / "state", hasher=editing_hasher)
    assert cache.checksum(f) == sha(b"before")  # what was read
    cache.hasher = CountingHasher()
    assert cache.checksum(f) == sha(b"after!")  # but not remembered for the new stat
