"""Running one job: exit status, stderr, params, captures and timeouts, with real bash and
a real Python child."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from process_watch import wait_gone

from seamlessflow.execution.execute import execute_job
from seamlessflow.identity.checksum import checksum_value, plain_serialize
from seamlessflow.storage.trees import put_tree


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_failing_stage_of_a_pipeline_fails_the_step(make_job, store):
    outcome = execute_job(make_job("false | cat > out", captures=["out"]), store)
    assert not outcome.ok
    assert outcome.exit_code == 1
    assert outcome.error == "exit 1"
    assert outcome.result is None and outcome.result_checksum is None


def test_bash_stops_at_the_first_failing_command(make_job, store):
    outcome = execute_job(make_job("false\necho reached > out", captures=["out"]), store)
    assert not outcome.ok


def test_missing_capture_fails_with_a_clear_error(make_job, store):
    outcome = execute_job(make_job("echo hi > other.txt", captures=["counts.txt"]), store)
    assert not outcome.ok
    assert outcome.exit_code == 0
    assert outcome.error.startswith("capture 'counts.txt' was not produced")


@pytest.mark.parametrize(
    ("code", "capture", "message"),
    [("echo x > out", "out/", "should be a directory"), ("mkdir out", "out", "should be a file")],
)
def test_capture_of_the_wrong_kind_fails(make_job, store, code, capture, message):
    outcome = execute_job(make_job(code, captures=[capture]), store)
    assert not outcome.ok
    assert message in outcome.error


def test_exit_status_stderr_tail_and_full_log(make_job, store):
    code = "for i in $(seq 1 30); do echo \"line $i\" >&2; done\nexit 3"
    job = make_job(code, captures=["out"], name="noisy")
    outcome = execute_job(job, store)
    assert (outcome.ok, outcome.exit_code, outcome.error) == (False, 3, "exit 3")
    assert outcome.stderr_tail.splitlines() == [f"line {i}" for i in range(11, 31)]
    assert outcome.log_path == job.log_path
    with open(job.log_path) as f:
        assert f.read().splitlines() == [f"line {i}" for i in range(1, 31)]


def test_params_and_metavars_reach_bash_as_environment_variables(make_job, store):
    params = {"s": "two words", "t": True, "f": False, "n": 3, "x": 0.5, "l": ["a", 1, True],
              "z": None, "d": {"k": [1]}}
    code = 'printf "%s|" "$s" "$t" "$f" "$n" "$x" "$l" "$z" "$d" "$threads"'
    job = make_job(code, params=params, metavars={"threads": 4}, stdout=True)
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    fields = make_job.stdout(outcome).decode().split("|")
    assert fields[:9] == ["two words", "true", "false", "3", "0.5", "a 1 true", "", '{"k":[1]}', "4"]


def test_params_and_metavars_reach_python_as_typed_globals(make_job, store):
    params = {"s": "text", "t": True, "n": 3, "x": 0.5, "l": ["a", 1], "z": None, "d": {"k": [1]}}
    code = (
        "import json\n"
        "values = dict(s=s, t=t, n=n, x=x, l=l, z=z, d=d, threads=threads)\n"
        "types = {k: type(v).__name__ for k, v in values.items()}\n"
        "print(json.dumps([values, types, __name__]))\n"
    )
    job = make_job(code, language="python", params=params, metavars={"threads": 2}, stdout=True)
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    values, types, name = json.loads(make_job.stdout(outcome))
    assert values == {**params, "threads": 2}
    assert types == {"s": "str", "t": "bool", "n": "int", "x": "float", "l": "list",
                     "z": "NoneType", "d": "dict", "threads": "int"}
    assert name == "__main__"


def test_python_runs_in_the_workspace_and_reports_its_traceback(make_job, store):
    job = make_job("open('out.txt', 'w').write(open('in.txt').read().upper())",
                   language="python", inputs={"in.txt": b"abc"}, captures=["out.txt"])
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    assert store.get(outcome.result["out.txt"]) == b"ABC"
    failing = make_job("x = 1\nraise ValueError('boom')", language="python", captures=["o"])
    outcome = execute_job(failing, store)
    assert (outcome.ok, outcome.exit_code) == (False, 1)
    assert "ValueError: boom" in outcome.stderr_tail
    assert "line 2" in outcome.stderr_tail


def test_stdout_capture_and_result_checksum(make_job, store):
    job = make_job("echo hello; echo file > out.txt", captures=["out.txt"], stdout=True)
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    assert outcome.result == {"STDOUT": sha(b"hello\n"), "out.txt": sha(b"file\n")}
    assert make_job.stdout(outcome) == b"hello\n"
    assert outcome.result_checksum == checksum_value(outcome.result)
    assert store.get(outcome.result_checksum) == plain_serialize(outcome.result)


def test_directory_capture_is_the_deep_checksum_of_its_content(make_job, store):
    code = "mkdir -p out/sub; printf a > out/a.txt; printf b > out/sub/b.txt; printf h > out/.h"
    outcome = execute_job(make_job(code, captures=["out/"]), store)
    assert outcome.ok, outcome
    same, _ = put_tree(store, make_job.build_dir({"a.txt": b"a", "sub/b.txt": b"b", ".h": b"h"}))
    index = {".h": sha(b"h"), "a.txt": sha(b"a"), "sub/b.txt": sha(b"b")}
    assert outcome.result == {"out/" + path: cs for path, cs in index.items()}
    assert json.loads(store.get(same)) == index  # the folder's own index is stored too


def test_timeout_kills_the_command_and_what_it_started(make_job, store, tmp_path):
    pid_file = tmp_path / "child.pid"
    job = make_job('sleep 100 & echo $! > "$pidfile"; wait', metavars={"pidfile": str(pid_file)},
                   captures=["out"], timeout=1)
    start = time.monotonic()
    outcome = execute_job(job, store)
    elapsed = time.monotonic() - start
    assert not outcome.ok
    assert outcome.error == "timed out after 1s"
    assert elapsed < 30  # not the 100 s the command would take: it was cut off
    assert wait_gone(int(pid_file.read_text()), within=10.0)


def test_background_job_left_running_is_killed_when_the_command_ends(make_job, store, tmp_path):
    pid_file = tmp_path / "bg.pid"
    job = make_job('sleep 100 & echo $! > "$pidfile"; echo ok > out',
                   metavars={"pidfile": str(pid_file)}, captures=["out"])
    outcome = execute_job(job, store)
    assert outcome.ok, outcome
    assert wait_gone(int(pid_file.read_text()), within=1.0)


def test_bash_errors_name_the_script_and_line(make_job, store):
    outcome = execute_job(make_job("true\nno_such_command_here", captures=["out"]), store)
    assert (outcome.ok, outcome.exit_code) == (False, 127)
    # line 1 of the code text makes RESULT's folder: the step's code starts on line 2
    assert "command.sh: line 3: no_such_command_here: command not found" in outcome.stderr_tail


def test_a_script_too_long_for_one_argument_runs_from_a_file(make_job, store):
    code = "# " + "x" * 200_000 + "\necho long > out"
    outcome = execute_job(make_job(code, captures=["out"]), store)
    assert outcome.ok, outcome
    assert store.get(outcome.result["out"]) == b"long\n"


def test_a_command_that_cannot_start_is_a_clear_failure(make_job, store, tmp_path):
    outcome = execute_job(make_job("true", params={"PATH": str(tmp_path / "nowhere")},
                                   captures=["out"]), store)
    assert not outcome.ok
    assert outcome.exit_code is None
    assert outcome.error.startswith("could not start the command:")
    assert list((tmp_path / "work").iterdir()) == []
