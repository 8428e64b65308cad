"""`seamlessflow watch` end to end: edits, bursts, touches, a broken Seamlessfile, idling
and Ctrl-C, each through real file system events on a real subprocess."""

from __future__ import annotations

import json
import os
import time

import pytest
from split_workflow import SPLIT

THREE_STEPS = '''
step upper:
    inputs: a.txt
    shell: "tr a-z A-Z < a.txt > A.txt"
    captures: A.txt

step lower:
    inputs: b.txt
    shell: "tr A-Z a-z < b.txt > B.txt"
    captures: B.txt

step both:
    inputs: A.txt, B.txt
    shell: "cat A.txt B.txt > C.txt"
    captures: C.txt
'''


def three_steps(project):
    project.write("Seamlessfile", THREE_STEPS)
    project.write("a.txt", "apple\n")
    project.write("b.txt", "BANANA\n")


def test_an_edit_reruns_exactly_what_it_affects(project):
    three_steps(project)
    w = project.watch()
    first = w.next_round(0)
    assert w.statuses(0, first) == {"upper": "ran", "lower": "ran", "both": "ran"}

    (project.root / "a.txt").write_text("avocado\n")  # in place, as `echo >` does
    changed = w.wait_for("changed: a.txt", first)
    second = w.next_round(changed)
    assert w.statuses(changed, second) == {"upper": "ran", "lower": "cached", "both": "ran"}, \
        w.output()
    assert "3 instances: 2 ran, 1 cached, 0 failed" in w.summaries(changed, second)[0]
    assert project.read("C.txt") == "AVOCADO\nbanana\n"
    assert w.interrupt() == 0
    assert w.lines[-1] == "stopped watching"


def test_each_round_is_the_last_run_that_report_draws(project):
    """A round is a run: it leaves `.seamlessflow/last-run.json`, as `run` does, for
    `seamlessflow report` and `dag --format svg` to draw."""
    three_steps(project)
    w = project.watch()
    first = w.next_round(0)
    (project.root / "b.txt").write_text("CHERRY\n")
    w.next_round(w.wait_for("changed: b.txt", first))
    record = json.loads(project.read(".seamlessflow/last-run.json"))
    assert {i["name"]: i["status"] for i in record["instances"]} == {
        "upper": "cached", "lower": "ran", "both": "ran"}
    assert w.interrupt() == 0


def test_a_burst_of_files_makes_one_run(project):
    project.write("Seamlessfile", '''
        step count:
            inputs: data/
            shell: "ls data | wc -l | tr -d ' ' > n.txt"
            captures: n.txt
        ''')
    project.write("data/first.txt", "1\n")
    w = project.watch()
    first = w.next_round(0)

    for i in range(50):
        project.write(f"data/f{i:02d}.txt", f"{i}\n")
    second = w.next_round(first + 1)
    assert project.read("n.txt") == "51\n"  # the run came after the whole burst

    # a later change shows that the burst left nothing behind: no second run for it
    project.write("data/last.txt", "!\n")
    changed = w.wait_for("changed: data/", second)
    third = w.next_round(changed)
    assert project.read("n.txt") == "52\n"
    assert len(w.summaries(first + 1, changed)) == 1
    assert not any("no change" in line for line in w.lines[first:third])
    assert w.interrupt() == 0


def test_touch_reruns_nothing_and_says_so(project):
    three_steps(project)
    w = project.watch()
    first = w.next_round(0)

    later = time.time() + 10
    os.utime(project.root / "a.txt", (later, later))
    quiet = w.wait_for("no change in content: a.txt", first)

    project.write("b.txt", "CHERRY\n")
    changed = w.wait_for("changed: b.txt", quiet)
    w.next_round(changed)
    assert len(w.summaries(first + 1, changed)) == 0
    assert len(w.summaries()) == 2
    assert w.interrupt() == 0


def test_a_broken_seamlessfile_waits_and_a_fixed_one_replans(project):
    three_steps(project)
    w = project.watch()
    first = w.next_round(0)

    project.write("Seamlessfile", THREE_STEPS + "\nstep broken\n")
    error = w.wait_for("error:", first)
    waiting = w.wait_for("waiting for a change", error)
    assert "Seamlessfile:" in w.lines[error]  # where the mistake is
    assert w.proc.poll() is None

    # while broken, a save without edit tries again (a missing include may be there now)
    os.utime(project.root / "Seamlessfile")
    retry = w.wait_for("reloading the workflow", waiting)
    waiting = w.wait_for("waiting for a change", retry)

    # the fix adds a step with a new input, which is watched from then on
    project.write("d.txt", "date\n")
    project.write("Seamlessfile", THREE_STEPS + '''
step copy:
    inputs: d.txt
    shell: "cp d.txt D.txt"
    captures: D.txt
''')
    fixed = w.next_round(waiting)
    assert w.statuses(waiting, fixed) == {"upper": "cached", "lower": "cached",
                                          "both": "cached", "copy": "ran"}
    project.write("d.txt", "durian\n")
    changed = w.wait_for("changed: d.txt", fixed)
    again = w.next_round(changed)
    assert w.statuses(changed, again) == {"upper": "cached", "lower": "cached",
                                          "both": "cached", "copy": "ran"}
    assert project.read("D.txt") == "durian\n"
    assert w.interrupt() == 0


def test_a_deleted_input_is_reported_and_its_return_runs(project):
    three_steps(project)
    w = project.watch()
    first = w.next_round(0)

    (project.root / "b.txt").unlink()
    error = w.wait_for("input b.txt not found", first)
    project.write("b.txt", "BLUEBERRY\n")
    back = w.next_round(error)
    assert w.statuses(error, back) == {"upper": "cached", "lower": "ran", "both": "ran"}, \
        w.output()
    assert project.read("C.txt") == "APPLE\nblueberry\n", w.output()
    assert w.interrupt() == 0


@pytest.mark.parametrize("mode", [[], ["--no-download"]], ids=["files", "sidecars"])
def test_an_idle_watcher_never_reruns_because_of_its_own_writes(project, mode):
    # captures (a file beside the inputs, a directory), a stdout capture, or their
    # sidecars; the report and .seamlessflow/: all land in watched folders
    project.write("Seamlessfile", '''
        step copy:
            inputs: a.txt, data/
            shell: "cat a.txt > data-copy.txt; ls data; mkdir -p out; cp -r data out/"
            captures: data-copy.txt, out/
            stdout: listing.txt
        ''')
    project.write("a.txt", "apple\n")
    project.write("data/x.txt", "x\n")
    w = project.watch("--report", "report.json", *mode)
    first = w.next_round(0)
    written = "data-copy.txt.CHECKSUM" if mode else "out/data/x.txt"
    assert (project.root / written).is_file()

    time.sleep(2.5)  # the idle time under test: nothing may happen in it
    assert len(w.lines) == first + 1, w.output()

    # still watching: the next edit runs once
    project.write("a.txt", "apricot\n")
    changed = w.wait_for("changed: a.txt", first)
    w.next_round(changed)
    assert len(w.summaries()) == 2
    assert w.interrupt() == 0


def test_changes_during_a_run_make_exactly_one_follow_up_run(project, tmp_path):
    started = tmp_path / "started"
    project.write("Seamlessfile", f'''
        step slow:
            inputs: a.txt
            shell: """
                if [ "$(cat a.txt)" = 2 ]; then touch {started}; sleep 2; fi
                cp a.txt out.txt
                """
            captures: out.txt
        ''')
    project.write("a.txt", "1\n")
    w = project.watch()
    first = w.next_round(0)

    project.write("a.txt", "2\n")
    _wait_until(started.exists)
    project.write("a.txt", "3\n")
    time.sleep(0.5)  # longer than the debounce: two separate bursts, both during the run
    project.write("a.txt", "4\n")
    second = w.next_round(first + 1)
    third = w.next_round(second + 1)
    assert project.read("out.txt") == "4\n"

    project.write("a.txt", "5\n")
    changed = w.wait_for("changed: a.txt", third)
    w.next_round(changed)
    assert project.read("out.txt") == "5\n"
    assert len(w.summaries(first + 1, changed)) == 2  # the edited run and one follow-up
    assert w.interrupt() == 0


def test_ctrl_c_cancels_the_running_step_and_exits_0(project, tmp_path):
    started = tmp_path / "started"
    project.write("Seamlessfile", f'''
        step slow:
            inputs: a.txt
            shell: "touch {started}; sleep 60; cp a.txt out.txt"
            captures: out.txt
        ''')
    project.write("a.txt", "1\n")
    w = project.watch()
    _wait_until(started.exists)
    assert w.interrupt() == 0
    assert "skipped slow  (interrupted)" in w.lines
    assert w.lines[-1].startswith("stopped watching; the running steps were cancelled")
    assert not (project.root / "out.txt").exists()


def _wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_glob_over_what_a_step_captures_is_read_again_in_each_round(project):
    project.write("input.txt", "a\nb\n")
    project.write("Seamlessfile", SPLIT)
    w = project.watch()
    again = w.wait_for("reading the Seamlessfile again")
    first = w.next_round(again)
    assert w.statuses(0, again) == {"split": "ran"}
    assert w.statuses(again, first) == {"split": "cached", "per[c=1]": "ran",
                                        "per[c=2]": "ran", "merge": "ran"}
    project.write("input.txt", "a\nb\nc\n")
    again = w.wait_for("reading the Seamlessfile again", first)
    second = w.next_round(again)
    assert w.statuses(again, second) == {"split": "cached", "per[c=1]": "cached",
                                         "per[c=2]": "cached", "per[c=3]": "ran", "merge": "ran"}
    assert project.read("all.txt") == "A\nB\nC\n"
    assert w.interrupt() == 0
