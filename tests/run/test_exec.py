"""`seamlessflow exec` through the real CLI: seamless-run's command line, cached.

A visible side effect (a line appended to a log outside the workspace, whose path is
a --metavar and so not part of the identity) tells whether the command really ran."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time

DATA = b"hello world\n"
WC_TRANSFORMATION = "55a42f6cb23a8dbcb207d3531dd35ff9b0b4f0c4d0ba6b8ab38781a70f4a1047"
WC_RESULT = "873fda5a93d2771a991e4e10b5a0c226713bb2da7eeec7024e33f2dca44c7d35"

COUNT_SH = """\
#!/bin/bash
echo ran >> "$LOG"
wc -c "$1"
"""

HEAD_SH = """\
#!/bin/bash
echo ran >> "$LOG"
head -n "$n" "$1"
"""

MAKE_SH = """\
#!/bin/bash
echo ran >> "$LOG"
mkdir -p outdir/sub
cp "$1" outdir/sub/copy.txt
echo "$1" > side.txt
echo printed
"""


def _setup(project, script: str | None = None, name: str = "count.sh"):
    (project.root / "data.txt").write_bytes(DATA)
    (project.root / "other.txt").write_bytes(b"second file\n")
    if script is not None:
        path = project.write(name, script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    log = project.root.parent / "ran.log"
    return log


def _runs(log) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _results(project) -> dict[str, str]:
    db = project.cache / "__TOPLEVEL__" / "seamless.db"
    if not db.exists():  # nothing was ever recorded
        return {}
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT checksum, result FROM transformation"))


def test_stdout_mode_runs_once_and_records_as_seamless(project):
    log = _setup(project, COUNT_SH)
    first = project.sf("exec", "--metavar", f"LOG={log}", "--", "./count.sh", "data.txt")
    assert first.stdout == "12 data.txt\n"
    assert _runs(log) == 1
    again = project.sf("exec", "--metavar", f"LOG={log}", "--", "./count.sh", "data.txt")
    assert again.stdout == "12 data.txt\n"
    assert _runs(log) == 1  # answered from the cache
    # a metavar's value is not part of the identity: still the same transformation
    other_log = project.root.parent / "other.log"
    project.sf("exec", "--metavar", f"LOG={other_log}", "--", "./count.sh", "data.txt")
    assert not other_log.exists()
    # the worked example of seamless-run, recorded under its own checksum and result
    plain = project.sf("exec", "--", "wc", "-c", "data.txt")
    assert plain.stdout == "12 data.txt\n"
    assert _results(project)[WC_TRANSFORMATION] == WC_RESULT


def test_var_changes_the_identity_and_reaches_the_command(project):
    log = _setup(project, HEAD_SH, "head.sh")
    args = ("exec", "--metavar", f"LOG={log}", "--var")
    cmd = ("--", "./head.sh data.txt")
    project.write("data.txt", "one\ntwo\nthree\n")
    assert project.sf(*args, "n=1", *cmd).stdout == "one\n"
    assert project.sf(*args, "n=2", *cmd).stdout == "one\ntwo\n"
    assert project.sf(*args, "n=1", *cmd).stdout == "one\n"
    assert _runs(log) == 2


def test_capture_mode_writes_targets_folders_stdout_and_sidecars(project):
    log = _setup(project, MAKE_SH, "make.sh")
    args = ("exec", "--metavar", f"LOG={log}", "-cp", "outdir", "-cp", "side.txt:local.txt",
            "-cp", ":printed.txt", "--", "./make.sh", "data.txt")
    project.sf(*args)
    root = project.root
    assert (root / "outdir" / "sub" / "copy.txt").read_bytes() == DATA
    assert (root / "local.txt").read_text() == "data.txt\n"
    assert not (root / "side.txt").exists()
    assert (root / "printed.txt").read_text() == "printed\n"
    index = json.loads((root / "outdir.INDEX").read_text())
    assert index == {"sub/copy.txt": hashlib.sha256(DATA).hexdigest()}
    for name in ("local.txt", "printed.txt"):
        assert (root / f"{name}.CHECKSUM").read_text().strip() == \
            hashlib.sha256((root / name).read_bytes()).hexdigest()
    (root / "local.txt").unlink()
    project.sf(*args)
    assert _runs(log) == 1
    assert (root / "local.txt").read_text() == "data.txt\n"  # written again from the cache


def test_a_final_redirect_is_captured(project):
    _setup(project)
    project.sf("exec", "--", "sort -r data.txt other.txt > out.txt")
    assert (project.root / "out.txt").read_text() == "second file\nhello world\n"
    assert "deab584eb954b456be53beddcd7c7eff39086b718e96c72bed5987822d98af6e" in \
        _results(project)


def test_no_download_writes_only_sidecars(project):
    _setup(project)
    project.sf("exec", "-nd", "--", "sort -r data.txt other.txt > out.txt")
    assert not (project.root / "out.txt").exists()
    assert (project.root / "out.txt.CHECKSUM").read_text().strip() == \
        hashlib.sha256(b"second file\nhello world\n").hexdigest()
    # a folder: its sidecar and index, in a folder that did not exist; download rebuilds it
    project.write("d/sub/b.txt", "beta\n")
    project.sf("exec", "-nd", "-cp", "d2:sub/new/d2", "--", "cp -r d d2")
    assert not (project.root / "sub" / "new" / "d2").exists()
    assert json.loads(project.read("sub/new/d2.INDEX")) == \
        {"sub/b.txt": hashlib.sha256(b"beta\n").hexdigest()}
    project.sf("download", "sub/new/d2")
    assert project.read("sub/new/d2/sub/b.txt") == "beta\n"


def test_a_redirect_target_is_written_under_its_own_name(project):
    """A `-cp` LOCAL for the redirect's target is overruled, as in seamless-run."""
    _setup(project)
    project.sf("exec", "-cp", "out.txt:elsewhere.txt", "--", "sort data.txt > out.txt")
    assert project.read("out.txt") == "hello world\n"
    assert not (project.root / "elsewhere.txt").exists()


def test_upload_delete_exec_download(project):
    project.write("data.txt", "c\na\nb\n")
    project.sf("upload", "data.txt")
    (project.root / "data.txt").unlink()
    project.sf("exec", "--var", "n=2", "-nd", "--", "sort data.txt | head -n $n > out.txt")
    assert not (project.root / "out.txt").exists()
    project.sf("download", "out.txt")
    assert project.read("out.txt") == "a\nb\n"
    assert not (project.root / "data.txt").exists()  # the input came by its checksum


def test_dry_run_runs_nothing_and_gives_seamless_runs_transformation(project):
    log = _setup(project, COUNT_SH)
    shown = project.sf("exec", "--dry", "--", "wc", "-c", "data.txt")
    assert hashlib.sha256(shown.stdout.encode()).hexdigest() == WC_TRANSFORMATION
    job = project.root.parent / "job"
    printed = project.sf("exec", "--dry", "-j", str(job), "--", "wc", "-c", "data.txt")
    assert printed.stdout.strip() == WC_TRANSFORMATION
    assert (job / "transformation.json").read_text() == shown.stdout
    assert (job / "command.txt").read_text() == "(\nwc -c data.txt\n) > RESULT\n"
    project.sf("exec", "--dry", "--metavar", f"LOG={log}", "--", "./count.sh", "data.txt")
    assert _runs(log) == 0
    assert not project.cache.exists()


def test_a_failure_records_nothing(project):
    log = _setup(project, "#!/bin/bash\necho ran >> \"$LOG\"\necho oops >&2\nexit 3\n",
                 "fail.sh")
    cmd = ("exec", "--metavar", f"LOG={log}", "--", "./fail.sh", "data.txt")
    for _ in range(2):
        failed = project.sf(*cmd, check=False)
        assert failed.returncode == 1
        assert "the command failed: exit 3" in failed.stderr
        assert "oops" in failed.stderr
    assert _runs(log) == 2


def test_a_result_whose_bytes_are_gone_is_computed_again(project):
    log = _setup(project, COUNT_SH)
    cmd = ("exec", "--metavar", f"LOG={log}", "--", "./count.sh", "data.txt")
    project.sf(*cmd)
    result = _results(project)
    buffers = project.cache / "__TOPLEVEL__"
    (gone,) = [p for p in buffers.rglob("*") if p.name == next(iter(result.values()))]
    os.chmod(gone, 0o644)
    gone.unlink()
    assert project.sf(*cmd).stdout == "12 data.txt\n"
    assert _runs(log) == 2


def test_commands_outside_the_common_forms_are_refused(project):
    _setup(project)
    for command in ("cat data.txt; cat other.txt", "cat data.txt && cat other.txt",
                    "wc -l < data.txt", "cat data.txt 2>&1", "echo $(cat data.txt)",
                    "sort data.txt>out.txt", "sort data.txt >> out.txt",
                    "sort data.txt > out.txt | cat", "(cat data.txt)", "! cat data.txt",
                    "cat data.txt |& cat", "echo ~", "N=1 cat data.txt",
                    "for f in data.txt; do cat $f; done", "echo `cat data.txt`"):
        refused = project.sf("exec", "--", command, check=False)
        assert refused.returncode == 2, command
        assert "exec takes one command or one pipeline" in refused.stderr, command
        assert "Traceback" not in refused.stderr
    assert not (project.root / "out.txt").exists()
    for command in ("cat data.txt |", "echo 'open", "# only a comment", "time cat data.txt"):
        unparsed = project.sf("exec", "--", command, check=False)
        assert unparsed.returncode == 2 and "cannot parse the command" in unparsed.stderr
        assert "Traceback" not in unparsed.stderr


def test_argtyping_rules_and_usage_errors(project):
    _setup(project)
    missing = project.sf("exec", "--", "cat", "missing.txt", check=False)
    assert missing.returncode == 2 and "-g1" in missing.stderr
    # -g1: a word with a suffix that is no file is text
    assert project.sf("exec", "-g1", "--", "echo", "missing.txt").stdout == "missing.txt\n"
    (project.root / "plain").write_text("x\n")
    rule2 = project.sf("exec", "--", "cat", "plain", check=False)
    assert rule2.returncode == 2 and "-g2" in rule2.stderr
    assert project.sf("exec", "-g2", "--", "cat", "plain").stdout == "x\n"
    # the rules count places: a program is exempt first, not when named again later
    again = project.sf("exec", "--", "plain data.txt plain", check=False)
    assert again.returncode == 2 and "argument 3 'plain'" in again.stderr
    nd = project.sf("exec", "-nd", "--", "cat", "data.txt", check=False)
    assert nd.returncode == 2 and "-cp :FILE" in nd.stderr
    bad_var = project.sf("exec", "--var", "1n=3", "--", "cat", "data.txt", check=False)
    assert bad_var.returncode == 2 and "NAME=VALUE" in bad_var.stderr
    (project.root.parent / "outside.txt").write_text("far\n")
    outside = project.sf("exec", "--", "cat", "../outside.txt", check=False)
    assert outside.returncode == 2 and "not inside the working directory" in outside.stderr


# (arguments of `exec`, transformation checksum that `seamless-run --dry -j` gave for the
# same arguments in the same folder, measured on seamless-suite 1.4.3)
MEASURED = [
    (["wc -c data.txt"], WC_TRANSFORMATION),
    (["wc -c  data.txt"], "393652aef4486962131548447045b50ca76de6bace406d7f80343a2b4846eb85"),
    (["grep -rc e data.txt other.txt d"],
     "4c216336a595c80bfe5818511f364501fdd22714754a97dccf321015a1aadc93"),
    (["sort -r data.txt other.txt > out.txt"],
     "deab584eb954b456be53beddcd7c7eff39086b718e96c72bed5987822d98af6e"),
    (["-cp", "out.txt", "-g1", "--", "sort data.txt -o out.txt"],
     "5ccd6b02ba22e6b4bd562bf2c6fefc454cca0f466a9363872ba16c1ede316c37"),
    (["-cp", "d2", "--", "cp -r d d2"],
     "810452a90e72a2db994bf3b8613fc9b361cf9ad590a4138f8efd4400b7ac6251"),
    (["-cp", ":printed.txt", "--", "cat data.txt"],
     "12b6af5cfa90a7dd2e6d0ec51d69ecb1d3027929d216bd12d9c7ca5117a6e634"),
    (["-cp", ":printed.txt", "-cp", "out.txt", "-g1", "--", "sort data.txt -o out.txt"],
     "4018e9346fbf3ac564cd16994b9d8c29e3796b89a29837a457521f11546365bf"),
    (["--var", "n=1", "--", "head -n $n data.txt"],
     "e64ae2827da7e7c4b8332163ce611ea22d0d2bd5e72f74016c56f33832ddef75"),
    (["--var", "n=1", "--var", "m=x", "--", "head -n $n data.txt"],
     "d3a5068a2f9d11d44e2c8681f1cc2a14e9cf01976d279fbe73c84fbe5317aa03"),
    (["--var", 'n=é "q" \\ x', "--metavar", "T=ü", "--", "echo $n $T"],
     "592be560830c493ea2a21abe2a4c52dd9a39d82e27789cfc0b2230f895b48860"),
    (["--metavar", "T=4", "--", "head -n $T data.txt"],
     "a06ceb9f0a075e34b797a7a80b316086d5905938fcc678255cf880375ee13598"),
    (["--metavar", "T=4", "--metavar", "A=1", "--var", "n=2", "--", "head -n $n data.txt"],
     "05731133d8e1f3020a4560b2debdc28ef86af58ec97357c48e6d8e9851880006"),
    (["cat data.txt | sort | head -n 1"],
     "4856dab46d45bc8378531722590ba23ccb5738c79c1b5a9576dc6ad644a83b0f"),
    (["cat data.txt | sort > out.txt"],
     "79fe880db72fa41ab0cba2f64ee4f9cea2e52d8f8d483895ffc9477502d19bf5"),
    (["cat 'my file.txt'"], "0e7465a20e3dc9c387a8ee959538fb1ccecaafaa1b022662ea566159e77b7d31"),
    (["wc -c gone.txt"], "f63fc12a2242c8af0e60270f8fd885640be6fed4908bae046d0800ef054c9396"),
    (["./tool.sh data.txt"], "84639afc66ffc119f6bd3201d1a38096299af68a8c21e318f9580b4bf8bd94ab"),
    (["tool.sh data.txt"], "84639afc66ffc119f6bd3201d1a38096299af68a8c21e318f9580b4bf8bd94ab"),
    (["cat ./data.txt"], "5c222ae2803e11c900f2b83c4641c024f918a11b7afa00c604a5fe725df813db"),
    (["-cp", "sub/x.txt", "-cp", "out.txt", "--", "./tool.sh data.txt"],
     "6fdf46459f18bf52a850ea43f7b06bf0bffd8c45f0cb7ca478c30ab95e2b7e05"),
    (["ls d/"], "5568b3c9e02c50ebdd799cf7732345558d2eb60abec6f862eae5bc6156a38611"),
    (["cat d/a.txt"], "044ba80b34b913d0e7d656ade843f8654fc644df465b6959afb1f120d4d2d245"),
    (["echo 0.5 data.txt"], "fec4603259c0383250c53541615f29d5366b55fcd405499b9819d0b37eda0f05"),
    (["cat data.txt | ./tool.sh other.txt"],
     "77730733f19979527d7769f64f47ed481b2d2c3875a067ff703efa007883ac27"),
    (["-cp", "out.txt", "--", "sort data.txt > out.txt"],
     "aa073870d42d2f549eca2698b5a0e410154ca262912ad6a1346d7e3977841bf3"),
    (["-cp", "d:dd", "--", "ls d"],
     "501a702c7ff8df3eb5cf2525a78a63054a17033d6e193b33db827c1dba3eda0e"),
]
LS_FOLDER_E = "e465473c2be66a46a1f8483cc1ced90891a769b29ad711dda91ac18b8869b52a"  # `ls e`


def test_dry_runs_give_the_transformations_seamless_run_gave(project):
    """Stdout, several files, a folder, a redirect, -cp of a file, of a folder and of
    stdout (in either order), --var (non-ASCII and quotes too), --metavar, pipelines, a path with a space, a
    sidecar-only input, local executables (in a later command too), a ./, an absolute
    and a d/ path rewritten, a number, a file in a folder, a folder by its sidecar."""
    _setup(project, '#!/bin/bash\ncat "$1"\n', "tool.sh")
    root = project.root
    (root / "d" / "sub").mkdir(parents=True)
    (root / "d" / ".hidden").write_bytes(b"")
    (root / "d" / "a.txt").write_bytes(b"alpha\n")
    (root / "d" / "sub" / "b.txt").write_bytes(b"beta\n")
    (root / "my file.txt").write_bytes(b"space\n")
    (root / "gone.txt.CHECKSUM").write_text(hashlib.sha256(b"sidecar only\n").hexdigest())

    def dry(args: list[str]) -> str:
        shown = project.sf("exec", "--dry", *(args if "--" in args else ["--", *args]))
        return hashlib.sha256(shown.stdout.encode()).hexdigest()

    for args, expected in MEASURED:
        assert dry(args) == expected, args
    # an absolute path inside the folder is named from there, as ./data.txt is
    assert dry([f"cat {root / 'data.txt'}"]) == dry(["cat ./data.txt"])
    # a folder with its sidecar and index (an `e` in other commands is then a folder
    # too), and known only by them
    project.write("e/x.txt", "x\n")
    project.sf("upload", "e")
    assert dry(["ls e"]) == LS_FOLDER_E
    shutil.rmtree(root / "e")
    assert dry(["ls e"]) == LS_FOLDER_E


def test_bash_runs_as_in_seamless_no_pipefail_but_unset_variables_fail(project):
    _setup(project)
    # Seamless's header is `set -u -e`: a pipeline's status is its last command's
    assert project.sf("exec", "--", "false data.txt | cat other.txt").stdout == \
        "second file\n"
    unset = project.sf("exec", "--", "echo $NO_SUCH_VARIABLE_HERE", check=False)
    assert unset.returncode == 1 and "unbound variable" in unset.stderr


def test_an_empty_capture_is_a_failure(project):
    _setup(project)
    empty = project.sf("exec", "-cp", "outdir", "--", "mkdir outdir", check=False)
    assert empty.returncode == 1 and "every captured folder is empty" in empty.stderr
    assert not (project.root / "outdir.CHECKSUM").exists()


def test_an_input_known_by_a_sidecar_needs_its_bytes_in_the_store(project):
    _setup(project)
    (project.root / "gone.txt.CHECKSUM").write_text(hashlib.sha256(b"elsewhere\n").hexdigest())
    missing = project.sf("exec", "--", "wc -c gone.txt", check=False)
    assert missing.returncode == 1
    assert "known only by gone.txt.CHECKSUM" in missing.stderr and "upload" in missing.stderr
    (project.root / "data.txt.CHECKSUM").write_text(hashlib.sha256(b"other\n").hexdigest())
    stale = project.sf("exec", "--", "wc -c data.txt", check=False)
    assert stale.returncode == 2 and "differs from data.txt.CHECKSUM" in stale.stderr


def test_a_local_file_replaced_by_a_result_is_kept_in_the_store(project):
    _setup(project)
    project.write("out.txt", "mine, edited by hand\n")
    done = project.sf("exec", "--", "sort -r data.txt other.txt > out.txt")
    assert project.read("out.txt") == "second file\nhello world\n"
    kept = hashlib.sha256(b"mine, edited by hand\n").hexdigest()
    assert kept in done.stderr
    project.sf("resolve", kept, "-o", "back.txt")
    assert project.read("back.txt") == "mine, edited by hand\n"


def test_stage_names_come_from_seamless_yaml(project):
    _setup(project)
    unknown = project.sf("exec", "--stage", "nope", "--", "wc -c data.txt", check=False)
    assert unknown.returncode == 2 and "no such stage" in unknown.stderr
    project.write("seamless.yaml", "- stage fast:\n    - execution: process\n")
    assert project.sf("exec", "--stage", "fast", "--", "wc -c data.txt").stdout == \
        "12 data.txt\n"


def test_programs_on_path_and_local_executables(project):
    _setup(project)
    # a local file named like a tool on PATH is an input, but the tool runs
    (project.root / "sort").write_text("not a program\n")
    assert project.sf("exec", "--", "sort -r data.txt other.txt").stdout == \
        "second file\nhello world\n"
    shown = project.sf("exec", "--dry", "--", "sort -r data.txt other.txt").stdout
    assert hashlib.sha256(shown.encode()).hexdigest() == \
        "a7850b39e0937fba4d4f801704c29869d6ecb87a7457174c0670c02f3d5b95b5"  # seamless-run's
    # a program found on PATH outside a bin folder would be written in by its absolute path
    tools = project.root.parent / "tools"
    tools.mkdir()
    (tools / "shout").write_text("#!/bin/bash\ntr a-z A-Z < \"$1\"\n")
    (tools / "shout").chmod(0o755)
    env = {"PATH": f"{tools}:{os.environ['PATH']}"}
    refused = project.sf("exec", "--", "shout data.txt", env=env, check=False)
    assert refused.returncode == 2 and "outside a bin folder" in refused.stderr


def test_an_empty_stdout_recorded_without_its_buffer_is_a_hit(project):
    """Seamless records an empty result without storing the empty buffer."""
    log = _setup(project, '#!/bin/bash\necho ran >> "$LOG"\n', "quiet.sh")
    cmd = ("exec", "--metavar", f"LOG={log}", "--", "./quiet.sh", "data.txt")
    assert project.sf(*cmd).stdout == ""
    empty = hashlib.sha256(b"").hexdigest()
    assert empty in _results(project).values()
    stored = project.cache / "__TOPLEVEL__" / empty[:2] / empty
    os.chmod(stored, 0o644)
    stored.unlink()
    assert project.sf(*cmd).stdout == ""
    assert _runs(log) == 1


def test_sigterm_stops_the_command_and_records_nothing(project):
    from process_watch import wait_gone

    pid_file = project.root.parent / "pid"
    _setup(project, '#!/bin/bash\necho $$ > "$PIDFILE"\nsleep 100\n', "wait.sh")
    env = {**os.environ, "SEAMLESSFLOW_CACHE": str(project.cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "seamlessflow", "-C", str(project.root), "exec",
         "--metavar", f"PIDFILE={pid_file}", "--", "./wait.sh", "data.txt"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text().endswith("\n")):
            assert time.monotonic() < deadline and proc.poll() is None, "never started"
            time.sleep(0.02)
        command_pid = int(pid_file.read_text())
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143 and "nothing was recorded" in stderr
    assert wait_gone(command_pid)
    assert _results(project) == {}


def test_a_seamlessfile_step_is_the_transformation_exec_builds(project):
    """A `shell:` step and `seamlessflow exec` of its command with the same inputs,
    params (`--var`), metavars and captures have one transformation checksum."""
    from step_forms import FORMS, seamlessfile, write_files

    write_files(project.root)
    project.write("Seamlessfile", seamlessfile(FORMS))
    report = project.run("--dry")
    for i, (fields, options, command) in enumerate(FORMS):
        job = project.root.parent / f"job{i}"
        printed = project.sf("exec", "--dry", "-j", str(job), *options, "--", command)
        assert report[f"s{i}"]["transformation"] == printed.stdout.strip(), (fields, command)
