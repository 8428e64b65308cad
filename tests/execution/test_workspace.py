"""The workspace holds exactly the declared inputs, as copies, and goes away afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from seamlessflow.errors import ExecutionError
from seamlessflow.execution.execute import execute_job
from seamlessflow.execution.workspace import inside
from seamlessflow.identity.deep import deep_checksum


def test_command_sees_exactly_its_declared_inputs(make_job, store, tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "project-file.txt").write_text("not declared")
    job = make_job(
        "find . -mindepth 1 | LC_ALL=C sort",
        inputs={"a.txt": b"A", "sub/deeper/b.txt": b"B"},
        dir_inputs={"data": {"x": b"1", "y/z": b"2"}},
        stdout=True,
    )
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    listing = make_job.stdout(outcome).decode().split()
    assert listing == [  # and RESULT, where its stdout goes (as in Seamless)
        "./RESULT", "./a.txt", "./data", "./data/x", "./data/y", "./data/y/z",
        "./sub", "./sub/deeper", "./sub/deeper/b.txt",
    ]


def test_renamed_input_appears_at_its_workspace_path(make_job, store):
    job = make_job("cat renamed/copy.dat > out.dat", inputs={"renamed/copy.dat": b"payload\n"},
                   captures=["out.dat"])
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    assert outcome.result["out.dat"] == hashlib.sha256(b"payload\n").hexdigest()


def test_directory_input_is_rebuilt_file_by_file(make_job, store):
    files = {"a.txt": b"alpha\n", "nested/b.txt": b"beta\n", ".hidden": b"h"}
    job = make_job("cat data/a.txt data/nested/b.txt data/.hidden > joined; cp -r data copy",
                   dir_inputs={"data": files}, captures=["joined", "copy/"])
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    assert store.get(outcome.result["joined"]) == b"alpha\nbeta\nh"
    copy = {path[5:]: cs for path, cs in outcome.result.items() if path.startswith("copy/")}
    assert deep_checksum(copy) == job.transformation["data"][2]


def test_command_writing_to_its_inputs_leaves_the_store_intact(make_job, store):
    job = make_job(
        "chmod 777 in.txt d/f; echo corrupted > in.txt; echo corrupted > d/f; "
        "rm -f d/g; echo done > out",
        inputs={"in.txt": b"original\n"},
        dir_inputs={"d": {"f": b"file f\n", "g": b"file g\n"}},
        captures=["out"],
    )
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    assert store.get(job.transformation["in.txt"][2]) == b"original\n"
    rebuilt = make_job("cat d/f d/g", dir_inputs={"d": {"f": b"file f\n", "g": b"file g\n"}},
                       stdout=True)
    again = execute_job(rebuilt, store)
    assert again.ok, again
    assert make_job.stdout(again) == b"file f\nfile g\n"


def test_workspace_is_removed_after_success_and_failure(make_job, store, tmp_path):
    for code in ("echo x > out", "exit 4"):
        outcome = execute_job(make_job(code, inputs={"i": b"i"}, captures=["out"]), store)
        assert outcome.workspace is None
    assert list((tmp_path / "work").iterdir()) == []


def test_failed_workspace_is_kept_on_request(make_job, store):
    code = "echo partial > half.txt; echo oops >&2; exit 1"
    job = make_job(code, inputs={"in.txt": b"data"}, captures=["out"], keep_workspace=True)
    outcome = execute_job(job, store)
    assert not outcome.ok
    kept = Path(outcome.workspace)
    # RESULT: the folder the code text made for its captures
    assert sorted(p.name for p in kept.iterdir()) == ["RESULT", "half.txt", "in.txt"]
    assert (kept / "in.txt").read_bytes() == b"data"
    assert (kept / "half.txt").read_text() == "partial\n"
    # the script and stderr sit beside the kept workspace, for debugging
    assert (kept.parent / "command.sh").read_text().endswith(job.code)
    assert code in job.code
    assert (kept.parent / "stderr").read_text() == "oops\n"


def test_missing_input_buffer_is_a_clear_failure(make_job, store, tmp_path):
    job = make_job("cat in.txt", inputs={"in.txt": b"x"}, stdout=True)
    job.transformation["in.txt"][2] = hashlib.sha256(b"never stored").hexdigest()
    outcome = execute_job(job, store)
    assert not outcome.ok
    assert outcome.exit_code is None
    assert "'in.txt'" in outcome.error and "not in the buffer store" in outcome.error
    assert list((tmp_path / "work").iterdir()) == []


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/passwd", "a/../../b", ""])
def test_workspace_paths_cannot_leave_the_workspace(tmp_path, bad):
    with pytest.raises(ExecutionError):
        inside(tmp_path, bad)


def test_escaping_input_path_fails_the_job_without_writing_outside(make_job, store, tmp_path):
    job = make_job("true", inputs={"x": b"x"}, stdout=True)
    job.transformation["../../outside.txt"] = job.transformation.pop("x")
    outcome = execute_job(job, store)
    assert not outcome.ok
    assert "climbs out" in outcome.error
    assert not (tmp_path / "outside.txt").exists()

