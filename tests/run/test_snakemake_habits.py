"""What a Snakemake user types at `seamlessflow run`, through the real CLI: taken as they
mean it, or answered with seamlessflow's spelling."""

from __future__ import annotations

import pytest

WORKFLOW = """\
config: conf.yaml

step make for i in range(0, 3):
    params: greeting = config.greeting, i
    shell: "echo $greeting $i > out.txt"
    captures: out.txt -> made/{i}.txt

step total:
    inputs: made/{i}.txt for i in range(0, 3)
    shell: "cat made/*.txt > all.txt"
    captures: all.txt -> total.txt
"""


@pytest.fixture
def habits(project):
    project.write("Seamlessfile", WORKFLOW)
    project.write("conf.yaml", "greeting: hi\nsuffix: none\n")
    return project


def test_combined_short_flags_np_plan_and_print_commands(habits):
    proc = habits.sf("run", "-np", "--config", "greeting=hello world")
    assert "will-run make[i=1]" in proc.stdout
    assert "make[i=1]:\n    export SEAMLESSFLOW_CORES=1\n    export OMP_NUM_THREADS=1\n" \
           "    export greeting='hello world'\n    export i=1\n" \
           "    echo $greeting $i > out.txt\n" in proc.stdout
    assert "total:\n    # inputs: made/0.txt, made/1.txt, made/2.txt\n" in proc.stdout
    assert "    cat made/*.txt > all.txt\n" in proc.stdout  # pending: shown too
    assert not (habits.root / "made").exists()  # a dry run writes nothing


def test_printshellcmds_shows_each_command_as_it_starts(habits):
    proc = habits.sf("run", "--printshellcmds", "-j", "1", "make[i=2]")
    assert proc.stdout.index("    export greeting=hi\n    export i=2\n") \
        < proc.stdout.index("ran     make[i=2]")
    assert habits.read("made/2.txt") == "hi 2\n"


def test_several_pairs_follow_one_config(habits):
    report = habits.run("--config", "greeting=yo", "suffix=x", "total")
    assert report.statuses["total"] == "ran"  # `total` after the pairs is still a target
    assert habits.read("total.txt") == "yo 0\nyo 1\nyo 2\n"
    dag = habits.sf("dag", "--config", "greeting=a", "suffix=b", "--format", "json")
    assert '"make[i=0]"' in dag.stdout


def test_cores_is_the_number_of_slots(habits):
    assert set(habits.run("-c", "1").statuses.values()) == {"ran"}
    assert set(habits.run("--cores", "all").statuses.values()) == {"cached"}
    proc = habits.sf("run", "--cores", "many", check=False)
    assert proc.returncode == 2
    assert "expected a whole number or all, got 'many'" in proc.stderr


def test_forceall_reruns_everything_selected(habits):
    for _ in range(3):  # the third is told from the record of a settled run
        habits.run()
    assert set(habits.run("-F").statuses.values()) == {"ran"}
    report = habits.run("-F", "total")  # upstream of the target too
    assert set(report.statuses.values()) == {"ran"}
    assert len(report.statuses) == 4


def test_force_without_a_name_reruns_the_targets(habits):
    for _ in range(3):  # the third is told from the record of a settled run
        habits.run()
    report = habits.run("--force")  # no targets: everything
    assert set(report.statuses.values()) == {"ran"}
    report = habits.run("total", "--force")
    assert report.statuses == {"make[i=0]": "cached", "make[i=1]": "cached",
                               "make[i=2]": "cached", "total": "ran"}


def test_until_runs_only_what_a_step_needs(habits):
    report = habits.run("--until", "make")
    assert set(report.statuses) == {"make[i=0]", "make[i=1]", "make[i=2]"}
    assert not (habits.root / "total.txt").exists()
    report = habits.run("make[i=1]", "--until", "make[i=1]", "make[i=2]")
    assert set(report.statuses) == {"make[i=1]"}
    for _ in range(3):  # the third is told from the record of a settled run
        habits.run()
    assert set(habits.run("--until", "make").statuses) == {"make[i=0]", "make[i=1]",
                                                           "make[i=2]"}


def test_list_shows_steps_instance_counts_and_stages(habits):
    table = "step   instances  stage\nmake           3  default\ntotal          1  default\n"
    assert habits.sf("list").stdout == table
    assert habits.sf("run", "--list").stdout == table
    assert not (habits.root / "made").exists()
    until = habits.sf("run", "--list", "--until", "make", "--stage", "default").stdout
    assert until == "step  instances  stage\nmake          3  default\n"


def test_summary_gives_each_output_file_its_instance_status_and_checksum(habits):
    habits.run("--until", "make")
    (habits.root / "made" / "1.txt").write_text("edited\n")
    (habits.root / "made" / "2.txt").unlink()
    checksum = habits.sf("checksum", "made/0.txt").stdout.split()[0]
    rows = [line.split() for line in habits.sf("run", "--summary").stdout.splitlines()]
    assert rows == [
        ["path", "instance", "status", "checksum"],
        ["made/0.txt", "make[i=0]", "up-to-date", checksum],
        ["made/1.txt", "make[i=1]", "modified", rows[2][3]],
        ["made/2.txt", "make[i=2]", "missing", rows[3][3]],
        ["total.txt", "total", "will-run", "-"],
    ]
    assert not (habits.root / "made" / "2.txt").exists()  # nothing was written


@pytest.mark.parametrize(("typed", "answer"), [
    ("--dag", "`seamlessflow dag`"),
    ("--snakefile", "`-f FILE`"),
    ("--forcerun", "`--force NAME...`"),
])
def test_snakemake_spellings_are_answered_with_seamlessflow_s(habits, typed, answer):
    proc = habits.sf("run", typed, check=False)
    assert proc.returncode == 2
    assert f"hint: {typed}: " in proc.stderr and answer in proc.stderr
    assert "Traceback" not in proc.stderr


GLOB_OVER_CAPTURES = """\
let chunks = glob("chunks/{c}.txt")
step split:
    inputs: input.txt
    metavars: log = "LOG"
    shell: "echo split >> $log; mkdir chunks; echo a > chunks/1.txt; echo b > chunks/2.txt"
    captures: chunks/
step per for c in chunks:
    inputs: chunks/{c}.txt -> in.txt
    shell: "tr a-z A-Z < in.txt > out.txt"
    captures: out.txt -> per/{c}.txt
"""


def test_forcing_a_workflow_whose_globs_list_captures_runs_each_instance_once(project):
    log = project.root.parent / "log.txt"
    project.write("Seamlessfile", GLOB_OVER_CAPTURES.replace("LOG", str(log)))
    project.write("input.txt", "x\n")
    project.run()
    report = project.run("-F")  # the glob's producer is forced in the first round only
    assert log.read_text() == "split\nsplit\n"
    assert report.statuses == {"split": "cached", "per[c=1]": "ran", "per[c=2]": "ran"}
    report = project.run("per[c=2]", "--force")  # the target, not the producer
    assert log.read_text() == "split\nsplit\n"
    assert report.statuses == {"split": "cached", "per[c=2]": "ran"}
