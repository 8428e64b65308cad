"""Directory deep checksums and `.CHECKSUM` / `.INDEX` sidecars, each tool against the other.

The Seamless side writes with seamless-core's `seamless-checksum-file` and
`seamless-checksum-index` tools and reads with `seamless.Checksum.load` and
`seamless.Buffer`; the seamlessflow side is its executable.
"""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest
from seamless import Buffer, Checksum

from seamlessflow.identity.checksum import plain_serialize


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", ["tree", "empty"])
def test_deep_checksum_matches_seamless_index_tool(kind, sf, seamless_tool, make_tree):
    folder = sf.work / "data"
    folder.mkdir()
    if kind == "tree":
        make_tree(folder)
    seamless_tool("seamless-checksum-index", folder)
    theirs = (sf.work / "data.CHECKSUM").read_text().strip()
    assert sf("checksum", "data/", "data").stdout == f"{theirs}  data/\n{theirs}  data\n"


def test_symlinks_count_the_same_in_both_tools(sf, seamless_tool):
    """Both walk like os.walk: a link to a file is that file, a link to a folder is not
    entered (so it adds nothing)."""
    folder = sf.work / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "f.txt").write_bytes(b"linked\n")
    os.symlink("sub/f.txt", folder / "file-link")
    os.symlink("sub", folder / "dir-link")
    seamless_tool("seamless-checksum-index", folder)
    index = Buffer.load(str(sf.work / "data.INDEX")).get_value("plain")
    assert index == {"sub/f.txt": sha(b"linked\n"), "file-link": sha(b"linked\n")}
    theirs = (sf.work / "data.CHECKSUM").read_text().strip()
    assert sf("checksum", "data").stdout.split()[0] == theirs


def test_seamless_sidecars_drive_seamlessflow_download(tmp_path, sf, seamless_tool, make_tree,
                                                       snapshot):
    """A user with Seamless sidecars and the bytes in the store gets the data back with
    `seamlessflow download`; the directory is rebuilt from Seamless's own `.INDEX`."""
    (sf.work / "f.txt").write_bytes("données\n".encode())
    files = make_tree(sf.work / "data")
    seamless_tool("seamless-checksum-file", sf.work / "f.txt")
    seamless_tool("seamless-checksum-index", sf.work / "data")

    elsewhere = tmp_path / "elsewhere"  # only to get the bytes into the store
    shutil.copytree(sf.work, elsewhere)
    sf("upload", elsewhere / "f.txt", elsewhere / "data")
    (sf.work / "f.txt").unlink()
    shutil.rmtree(sf.work / "data")

    sf("download", "f.txt.CHECKSUM", "data")
    assert (sf.work / "f.txt").read_bytes() == "données\n".encode()
    assert snapshot(sf.work / "data") == files


def test_seamlessflow_sidecars_are_seamless_sidecars(tmp_path, sf, seamless_tool, make_tree):
    """`seamlessflow upload` writes the very bytes Seamless's tools write, and Seamless
    loads them: the file checksum, the directory checksum, and the index behind it."""
    (sf.work / "f.txt").write_bytes("données\n".encode())
    files = make_tree(sf.work / "data")
    sf("upload", "f.txt", "data/")

    checksum = Checksum.load(str(sf.work / "f.txt")).hex()
    assert checksum == sha("données\n".encode())
    dir_checksum = Checksum.load(str(sf.work / "data"))
    index_buffer = Buffer.load(str(sf.work / "data.INDEX"))
    assert index_buffer.get_checksum() == dir_checksum
    assert index_buffer.get_value("plain") == {rel: sha(data) for rel, data in files.items()}
    assert index_buffer.content == plain_serialize(index_buffer.get_value("plain"))

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    shutil.copy(sf.work / "f.txt", theirs)
    shutil.copytree(sf.work / "data", theirs / "data")
    seamless_tool("seamless-checksum-file", theirs / "f.txt")
    seamless_tool("seamless-checksum-index", theirs / "data/")
    for name in ("f.txt.CHECKSUM", "data.CHECKSUM", "data.INDEX"):
        assert (sf.work / name).read_bytes() == (theirs / name).read_bytes(), name
