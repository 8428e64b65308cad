"""`cores:` reaches the command: every runner exports the slots an instance holds as
$SEAMLESSFLOW_CORES and $OMP_NUM_THREADS; `cores:` may name a param, a sweep or let
variable, or a config value. Through the real CLI."""

from __future__ import annotations

import pytest

REPORT_CORES = 'echo "$SEAMLESSFLOW_CORES $OMP_NUM_THREADS {tag}" > o.txt'


@pytest.mark.parametrize("execution", ["process", "spawn"])
def test_the_command_is_told_its_slots_capped_at_jobs(project, execution):
    project.write("Seamlessfile", f"""\
        execution: {execution}

        step one:
            shell: '{REPORT_CORES.format(tag="one")}'
            captures: o.txt -> one.txt

        step four:
            cores: 4
            shell: '{REPORT_CORES.format(tag="four")}'
            captures: o.txt -> four.txt
        """)
    project.run("-j", "3")
    assert project.read("one.txt") == "1 1 one\n"
    assert project.read("four.txt") == "3 3 four\n"  # at most -j: it runs alone
    project.run("-j", "8", "-F")
    assert project.read("four.txt") == "4 4 four\n"


def test_cores_may_name_a_param_a_sweep_variable_a_let_or_config(project):
    project.write("conf.yaml", "threads: 3\n")
    project.write("Seamlessfile", f"""\
        config: conf.yaml
        let two = 2

        step by_config:
            cores: config.threads
            shell: '{REPORT_CORES.format(tag="config")}'
            captures: o.txt -> config.txt

        step by_sweep for t in [1, 2]:
            params: t
            cores: t
            shell: '{REPORT_CORES.format(tag="$t")}'
            captures: o.txt -> sweep{{t}}.txt

        step by_param:
            params: threads = 2
            cores: threads
            shell: '{REPORT_CORES.format(tag="param")}'
            captures: o.txt -> param.txt

        step by_let:
            cores: two
            shell: '{REPORT_CORES.format(tag="let")}'
            captures: o.txt -> let.txt
        """)
    project.run("-j", "8")
    assert project.read("config.txt") == "3 3 config\n"
    assert project.read("sweep1.txt") == "1 1 1\n"
    assert project.read("sweep2.txt") == "2 2 2\n"
    assert project.read("param.txt") == "2 2 param\n"
    assert project.read("let.txt") == "2 2 let\n"


def test_a_step_setting_omp_num_threads_keeps_its_own(project):
    project.write("Seamlessfile", f"""\
        step pinned:
            cores: 2
            params: OMP_NUM_THREADS = 1
            shell: '{REPORT_CORES.format(tag="pinned")}'
            captures: o.txt -> pinned.txt
        """)
    project.run("-j", "4")
    assert project.read("pinned.txt") == "2 1 pinned\n"


def test_a_python_command_reads_them_from_its_environment(project):
    project.write("Seamlessfile", '''\
        step py:
            cores: 2
            python: """
                import os
                print(os.environ["SEAMLESSFLOW_CORES"], os.environ["OMP_NUM_THREADS"])
                """
            stdout: py.txt
        ''')
    project.run("-j", "4")
    assert project.read("py.txt") == "2 2\n"


def test_printshellcmds_shows_the_slots_too(project):
    project.write("Seamlessfile", f"""\
        step four:
            cores: 4
            shell: '{REPORT_CORES.format(tag="four")}'
            captures: o.txt -> four.txt
        """)
    out = project.sf("run", "-np", "-j", "2").stdout
    assert "four:\n    export SEAMLESSFLOW_CORES=2\n    export OMP_NUM_THREADS=2\n" in out


@pytest.mark.parametrize(("cores", "message"), [
    ("threads", "'cores' must be a whole number of at least 1, but threads is 'many' in "
                "by_param"),
    ("thread", "'cores: thread' names no param, sweep or let variable"),
])
def test_a_cores_variable_that_is_no_count_is_an_error_at_its_line(project, cores, message):
    project.write("Seamlessfile", f"""\
        step by_param:
            params: threads = many
            cores: {cores}
            shell: "true"
        """)
    proc = project.sf("run", check=False)
    assert proc.returncode == 2
    assert f"Seamlessfile:3:12: error: {message}" in proc.stderr
    assert "Traceback" not in proc.stderr


def _memory_workflow(project, memory: str, command: str) -> None:
    log = project.root.parent / "log.txt"
    project.write("Seamlessfile", f"""\
        step big for n in [1, 2]:
            params: n
            metavars: log = "{log}"
            memory: {memory}
            shell: '{command}'
            captures: o.txt -> big{{n}}.txt
        """)


def test_instances_whose_memory_sums_past_the_limit_never_run_together(project):
    # without the limit the two would overlap: each stays half a second
    _memory_workflow(project, "3G", 'echo "start $n" >> "$log"; sleep 0.5; '
                                    'echo "end $n" >> "$log"; echo $n > o.txt')
    project.run("-j", "4", "--resources", "mem=5G")
    lines = (project.root.parent / "log.txt").read_text().split("\n")
    assert lines[0].split()[0] == "start" and lines[1] == lines[0].replace("start", "end")
    assert lines[2].split()[0] == "start" and lines[3] == lines[2].replace("start", "end")


def test_instances_whose_memory_fits_run_together(project):
    # each waits for the other to have started: they must run at once
    _memory_workflow(project, "3G", 'echo "start $n" >> "$log"; '
                                    'for i in $(seq 300); do [ $(grep -c start "$log") = 2 ] '
                                    '&& break; sleep 0.1; done; '
                                    '[ $(grep -c start "$log") = 2 ]; echo $n > o.txt')
    report = project.run("-j", "4", "--resources", "mem_mb=6144")
    assert set(report.statuses.values()) == {"ran"}


def test_an_instance_needing_more_memory_than_the_run_has_is_refused(project):
    _memory_workflow(project, "3G", "echo $n > o.txt")
    proc = project.sf("run", "--resources", "mem=2G", check=False)
    assert proc.returncode == 2
    assert "big[n=1] (and 1 more) needs 3G of memory, more than --resources mem=2G allows" \
        in proc.stderr
    assert not (project.root / "big1.txt").exists()
    bad = project.sf("run", "--resources", "gpu=1", check=False)
    assert bad.returncode == 2 and "unknown resource 'gpu'" in bad.stderr


def test_memory_must_be_a_size_with_a_unit(project):
    _memory_workflow(project, "4000", "echo $n > o.txt")
    proc = project.sf("run", check=False)
    assert proc.returncode == 2
    assert "Seamlessfile:4:13: error: 'memory' must be a size such as 4G, 512M or 1.5GB, " \
           "not '4000'" in proc.stderr
