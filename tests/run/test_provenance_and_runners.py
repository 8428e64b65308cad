"""scratch, fingertip, explain, and runner equivalence."""

from __future__ import annotations

import hashlib

SCRATCH = '''
step big:
    inputs: a.txt
    scratch: true
    shell: "cat a.txt a.txt > big.txt"
    captures: big.txt

step small:
    inputs: big.txt
    params: n = 1
    shell: "head -n $n big.txt > small.txt"
    captures: small.txt
'''


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_scratch_results_keep_no_bytes_but_are_recomputed_when_needed(project):
    project.write("Seamlessfile", SCRATCH)
    project.write("a.txt", "x\ny\n")
    first = project.run()
    assert first.statuses == {"big": "ran", "small": "ran"}
    big_cs = first["big"]["captures"]["big.txt"]
    assert big_cs == _sha(b"x\ny\nx\ny\n")
    # the store does not keep scratch bytes
    assert project.sf("resolve", big_cs, check=False).returncode == 1
    # a downstream rerun needs them: the project's copy still matches, so it is used
    project.write("Seamlessfile", SCRATCH.replace("n = 1", "n = 3"))
    second = project.run()
    assert second.statuses == {"big": "cached", "small": "ran"}
    assert project.read("small.txt") == "x\ny\nx\n"
    # with the project copy gone too, the bytes can only come from running `big` again
    (project.root / "big.txt").unlink()
    project.write("Seamlessfile", SCRATCH.replace("n = 1", "n = 2"))
    third = project.run()
    assert third.statuses == {"big": "ran", "small": "ran"}
    assert third["big"]["result"] == first["big"]["result"]
    assert project.read("big.txt") == "x\ny\nx\ny\n"
    assert project.read("small.txt") == "x\ny\n"


def test_fingertip_recomputes_missing_bytes(project, tmp_path):
    project.write("Seamlessfile", SCRATCH)
    _fingertip_recovers_big(project, tmp_path)
    unknown = "0" * 64
    missing = project.sf("fingertip", unknown, check=False)
    assert missing.returncode == 1
    assert unknown in missing.stderr


def test_fingertip_runs_a_step_again_with_its_metavars(project, tmp_path):
    """A metavar's value is out of the transformation stored under its checksum, but its
    code reads it (`export verbosity="${META__verbosity}"`, under `set -u`)."""
    project.write("Seamlessfile", SCRATCH.replace(
        'shell: "cat a.txt a.txt > big.txt"',
        'metavars: verbosity = 2\n    shell: "cat a.txt a.txt > big.txt; echo $verbosity >&2"'))
    _fingertip_recovers_big(project, tmp_path)


def test_explain_names_the_producer_its_inputs_and_disk_state(project):
    project.write("Seamlessfile", SCRATCH)
    project.write("a.txt", "x\ny\n")
    report = project.run()
    text = project.sf("explain", "small.txt").stdout
    assert "produced by     small" in text
    assert report["small"]["transformation"] in text
    assert "head -n $n big.txt" in text
    assert "n = 1" in text
    assert f"big.txt  {report['big']['captures']['big.txt']}" in text
    assert "on disk         matches" in text
    project.write("small.txt", "edited\n")
    assert "differs" in project.sf("explain", "small.txt").stdout
    assert "source file" in project.sf("explain", "a.txt").stdout


RUNNERS = '''
stage pool:
    execution: spawn
    workers: 2

step gen for k in [1, 2, 3]:
    inputs: a.txt
    params: k
    stage: pool
    python: """
        import os
        os.makedirs("res", exist_ok=True)
        data = open("a.txt").read() * k
        with open("res/data.txt", "w") as f:
            f.write(data)
        print(len(data))
        """
    captures: res/ -> res/{k}/
    stdout: lengths/{k}.txt
'''


def test_spawn_and_process_give_identical_result_checksums(project, tmp_path):
    project.write("Seamlessfile", RUNNERS)
    project.write("a.txt", "abc\n")
    spawned = project.run()
    assert {spawned[f"gen[k={k}]"]["runner"] for k in (1, 2, 3)} == {"spawn"}
    other = type(project)(project.root, tmp_path / "other-cache")
    local = other.run("--local")
    for k in (1, 2, 3):
        name = f"gen[k={k}]"
        assert local[name]["status"] == "ran"
        assert local[name]["runner"] == "process"
        assert local[name]["result"] == spawned[name]["result"]
        assert local[name]["transformation"] == spawned[name]["transformation"]
    assert project.read("res/3/data.txt") == "abc\n" * 3
    assert project.read("lengths/2.txt") == "8\n"


def _fingertip_recovers_big(project, tmp_path) -> None:
    """`big.txt`'s bytes, never kept (scratch), are not there to resolve; fingertip runs
    its step again for them."""
    project.write("a.txt", "x\ny\n")
    big_cs = project.run()["big"]["captures"]["big.txt"]
    assert project.sf("resolve", big_cs, check=False).returncode == 1
    out = tmp_path / "recovered.txt"
    project.sf("fingertip", big_cs, "-o", str(out))
    assert out.read_text() == "x\ny\nx\ny\n"
