"""Failures, retries, keep-going, deduplication and the -j limit, through the CLI."""

from __future__ import annotations


def test_only_declared_inputs_are_visible(project):
    project.write("Seamlessfile", '''
step look:
    inputs: a.txt, sub/b.txt -> renamed.txt, dir/
    shell: """
        find . -type f ! -name seen.txt | LC_ALL=C sort > seen.txt
        """
    captures: seen.txt
''')
    project.write("a.txt", "a")
    project.write("sub/b.txt", "b")
    project.write("dir/x/c.txt", "c")
    project.write("secret.txt", "not declared")
    project.run()
    seen = project.read("seen.txt").split()
    assert "./secret.txt" not in seen and "./Seamlessfile" not in seen
    assert seen == ["./a.txt", "./dir/x/c.txt", "./renamed.txt"]


def test_a_failing_pipeline_stage_fails_the_step_and_records_nothing(project):
    project.write("Seamlessfile", '''
step bad:
    inputs: a.txt
    shell: "false | cat a.txt > out.txt"
    captures: out.txt
''')
    project.write("a.txt", "a")
    proc = project.sf("run", check=False)
    assert proc.returncode == 1
    assert "FAILED  bad  exit 1" in proc.stdout
    assert "0 ran, 0 cached, 1 failed" in proc.stdout
    assert not (project.root / "out.txt").exists()
    again = project.sf("run", check=False)
    assert "FAILED  bad" in again.stdout  # nothing was recorded: it runs (and fails) again


def test_stderr_tail_and_log_are_shown_for_a_failure(project):
    project.write("Seamlessfile", '''
step noisy:
    inputs: a.txt
    shell: """
        echo "something broke: disk on fire" >&2
        exit 3
        """
    captures: out.txt
''')
    project.write("a.txt", "a")
    proc = project.sf("run", check=False)
    assert proc.returncode == 1
    assert "exit 3" in proc.stdout
    assert "something broke: disk on fire" in proc.stderr
    logs = list((project.root / ".seamlessflow" / "logs").glob("noisy*.log"))
    assert logs and "disk on fire" in logs[0].read_text()


def test_a_missing_capture_fails_the_step(project):
    project.write("Seamlessfile", '''
step lazy:
    inputs: a.txt
    shell: "cat a.txt > wrong-name.txt"
    captures: out.txt
''')
    project.write("a.txt", "a")
    proc = project.sf("run", check=False)
    assert proc.returncode == 1
    assert "out.txt" in proc.stdout + proc.stderr
    assert not (project.root / "wrong-name.txt").exists()


FAN = '''
step src for i in [1, 2, 3]:
    inputs: a.txt
    params: i
    shell: """
        if [ "$i" = 2 ]; then exit 1; fi
        echo "$i" > out.txt
        """
    captures: out.txt -> out/{i}.txt

step join:
    inputs: out/{i}.txt for i in [1, 2, 3]
    shell: "cat out/*.txt > all.txt"
    captures: all.txt
'''


def test_keep_going_runs_every_independent_instance_and_exits_1(project):
    project.write("Seamlessfile", FAN)
    project.write("a.txt", "a")
    report = project.run("-k", "-j", "1", check=False)
    assert report.proc.returncode == 1
    assert report.statuses == {
        "src[i=1]": "ran", "src[i=2]": "failed", "src[i=3]": "ran", "join": "skipped"
    }
    assert report.data["ok"] is False
    assert "src[i=2]" in report["join"]["reason"]


def test_without_keep_going_nothing_new_starts_after_a_failure(project):
    project.write("Seamlessfile", FAN)
    project.write("a.txt", "a")
    report = project.run("-j", "1", check=False)
    assert report.proc.returncode == 1
    assert report.statuses["src[i=1]"] == "ran"
    assert report.statuses["src[i=2]"] == "failed"
    assert report.statuses["src[i=3]"] == "skipped"
    assert report.statuses["join"] == "skipped"


def test_a_retry_that_succeeds_records_the_result(project, tmp_path):
    marker = tmp_path / "failed-once"
    project.write("Seamlessfile", f'''
step flaky:
    inputs: a.txt
    metavars: marker = "{marker}"
    retries: 2
    shell: """
        if [ ! -e "$marker" ]; then touch "$marker"; exit 1; fi
        cat a.txt > out.txt
        """
    captures: out.txt
''')
    project.write("a.txt", "a")
    report = project.run()
    assert report.statuses == {"flaky": "ran"}
    assert report["flaky"]["attempts"] == 2
    assert project.run().statuses == {"flaky": "cached"}


def test_identical_instances_run_once(project, tmp_path):
    counter = tmp_path / "counter"
    project.write("Seamlessfile", f'''
step same for x in [1, 2, 3]:
    inputs: a.txt
    metavars: counter = "{counter}"
    shell: """
        echo run >> "$counter"
        cat a.txt > out.txt
        """
    captures: out.txt -> out/{{x}}.txt
''')
    project.write("a.txt", "a")
    report = project.run("-j", "2")
    assert counter.read_text().count("run") == 1
    assert sorted(report.statuses.values()) == ["cached", "cached", "ran"]
    for x in (1, 2, 3):
        assert project.read(f"out/{x}.txt") == "a"


def test_j1_never_runs_two_at_once(project, tmp_path):
    log = tmp_path / "intervals"
    project.write("Seamlessfile", f'''
step slow for i in [1, 2, 3, 4]:
    inputs: a.txt
    params: i
    metavars: log = "{log}"
    shell: """
        echo "start $(date +%s.%N)" >> "$log"
        sleep 0.2
        echo "end $(date +%s.%N)" >> "$log"
        echo $i > out.txt
        """
    captures: out.txt -> out/{{i}}.txt
''')
    project.write("a.txt", "a")
    project.run("-j", "1")
    events = [line.split() for line in log.read_text().splitlines()]
    kinds = [kind for kind, _ in events]
    assert kinds == ["start", "end"] * 4  # strictly alternating: never two running


def test_j2_runs_two_at_once(project, tmp_path):
    log = tmp_path / "intervals"
    project.write("Seamlessfile", f'''
step slow for i in [1, 2]:
    inputs: a.txt
    params: i
    metavars: log = "{log}"
    shell: """
        echo start >> "$log"
        sleep 0.5
        echo end >> "$log"
        echo $i > out.txt
        """
    captures: out.txt -> out/{{i}}.txt
''')
    project.write("a.txt", "a")
    project.run("-j", "2")
    assert log.read_text().split() == ["start", "start", "end", "end"]


def test_timeout_kills_the_step(project):
    project.write("Seamlessfile", '''
step hang:
    inputs: a.txt
    timeout: 1
    shell: "sleep 30; cat a.txt > out.txt"
    captures: out.txt
''')
    project.write("a.txt", "a")
    proc = project.sf("run", check=False, timeout=20)
    assert proc.returncode == 1
    assert "timed out" in proc.stdout + proc.stderr


def test_instances_whose_names_differ_only_in_unsafe_characters_keep_separate_logs(project):
    """`s[x=a b]` and `s[x=a_b]` once shared one log file, each attempt overwriting the
    other's stderr; a very long name still gets a log of its own."""
    long_value = "v" * 249  # with "s[x=" and "].log", more than a file name may hold
    project.write("Seamlessfile", f'''
step s for x in ["a b", "a_b", "a%20b", "{long_value}", "{long_value}w"]:
    shell: """
        echo "stderr of $x" >&2
        echo "$x" > out.txt
        """
    params: x
    captures: out.txt -> out/{{x}}.txt
''')
    project.sf("run")
    logs = sorted((project.root / ".seamlessflow" / "logs").iterdir())
    assert len(logs) == 5
    assert sorted(p.read_text() for p in logs) == sorted(
        f"stderr of {x}\n" for x in ["a b", "a_b", "a%20b", long_value, long_value + "w"])
    assert "s[x=a%20b].log" in [p.name for p in logs]


def test_an_absurd_job_count_is_a_usage_error(project):
    project.write("Seamlessfile", 'step a:\n    shell: "echo a > a.txt"\n    captures: a.txt\n')
    proc = project.sf("run", "-j", "99999999999999999999", check=False)
    assert proc.returncode == 2
    assert "-j/--jobs/-c/--cores: must be at least 1 and at most 10,000" in proc.stderr
    assert not (project.root / "a.txt").exists()
