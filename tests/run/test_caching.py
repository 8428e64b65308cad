"""What reruns and what does not: identity follows content, not time or names."""

from __future__ import annotations

import json
import os
import time

PIPELINE = '''
step norm:
    inputs: data.txt
    shell: """
        LC_ALL=C sort data.txt > sorted.txt
        """
    captures: sorted.txt

step count:
    inputs: sorted.txt
    shell: "wc -l < sorted.txt | tr -d ' ' > n.txt"
    captures: n.txt

step shout:
    inputs: sorted.txt
    params: suffix = "!"
    shell: """
        sed "s/$/$suffix/" sorted.txt | tr a-z A-Z > loud.txt
        """
    captures: loud.txt
'''


def make_pipeline(project, text=PIPELINE):
    project.write("Seamlessfile", text)
    project.write("data.txt", "pear\napple\n")


def test_first_run_runs_everything_then_nothing(project):
    make_pipeline(project)
    first = project.run()
    assert first.statuses == {"norm": "ran", "count": "ran", "shout": "ran"}
    assert project.read("sorted.txt") == "apple\npear\n"
    assert project.read("n.txt") == "2\n"
    assert project.read("loud.txt") == "APPLE!\nPEAR!\n"
    assert "3 instances: 3 ran, 0 cached, 0 failed" in first.proc.stdout
    # the outputs were read back at the end of the run: the next one need not read them
    entries = json.loads((project.root / ".seamlessflow" / "statcache.json").read_text())
    assert {str(project.root / p) for p in ("sorted.txt", "n.txt", "loud.txt")} <= \
        set(entries["entries"])

    second = project.run()
    assert second.statuses == {"norm": "cached", "count": "cached", "shout": "cached"}
    assert second.data["counts"]["ran"] == 0
    for name in ("norm", "count", "shout"):
        assert second[name]["transformation"] == first[name]["transformation"]
        assert second[name]["result"] == first[name]["result"]


def test_touch_reruns_nothing(project):
    make_pipeline(project)
    project.run()
    future = time.time() + 5
    os.utime(project.root / "data.txt", (future, future))
    assert set(project.run().statuses.values()) == {"cached"}


def test_renaming_a_step_or_changing_metavars_or_stage_reruns_nothing(project):
    make_pipeline(project, PIPELINE.replace(
        'step shout:\n', 'step shout:\n    metavars: verbosity = 1\n'))
    project.run()
    renamed = PIPELINE.replace("step count:", "step count_lines:").replace(
        'step shout:\n', 'step shout:\n    metavars: verbosity = 3\n    stage: fast\n')
    renamed = "stage fast:\n    execution: spawn\n    workers: 2\n" + renamed
    project.write("Seamlessfile", renamed)
    report = project.run()
    assert report.statuses == {"norm": "cached", "count_lines": "cached", "shout": "cached"}


def test_adding_a_metavar_to_a_shell_step_reruns_it(project):
    """As in Seamless: a metavar's name is in the code (its `export` line), its value
    is not."""
    make_pipeline(project)
    project.run()
    project.write("Seamlessfile", PIPELINE.replace(
        'step shout:\n', 'step shout:\n    metavars: verbosity = 1\n'))
    report = project.run()
    assert report.statuses == {"norm": "cached", "count": "cached", "shout": "ran"}


def test_param_change_reruns_that_step_only(project):
    make_pipeline(project)
    project.run()
    project.write("Seamlessfile", PIPELINE.replace('suffix = "!"', 'suffix = "?"'))
    report = project.run()
    assert report.statuses == {"norm": "cached", "count": "cached", "shout": "ran"}
    assert project.read("loud.txt") == "APPLE?\nPEAR?\n"


def test_input_edit_with_identical_upstream_output_cuts_off_early(project):
    make_pipeline(project)
    project.run()
    project.write("data.txt", "apple\npear\n")  # sorts to the same bytes
    report = project.run()
    assert report.statuses == {"norm": "ran", "count": "cached", "shout": "cached"}


def test_real_input_change_reruns_downstream(project):
    make_pipeline(project)
    project.run()
    project.write("data.txt", "fig\napple\npear\n")
    report = project.run()
    assert report.statuses == {"norm": "ran", "count": "ran", "shout": "ran"}
    assert project.read("n.txt") == "3\n"


def test_force_reruns_a_cached_step(project):
    make_pipeline(project)
    project.run()
    report = project.run("--force", "count")
    assert report.statuses == {"norm": "cached", "count": "ran", "shout": "cached"}
    assert report["count"]["reason"] == "forced with --force"


def test_targets_select_only_what_is_needed(project):
    make_pipeline(project)
    report = project.run("count")
    assert report.statuses == {"norm": "ran", "count": "ran"}
    assert not (project.root / "loud.txt").exists()
    by_path = project.run("loud.txt")
    assert by_path.statuses == {"norm": "cached", "shout": "ran"}


def test_dry_run_plans_and_writes_nothing(project):
    make_pipeline(project)
    report = project.run("-n")
    assert report.data["dry_run"] is True
    assert report.statuses == {"norm": "will-run", "count": "pending", "shout": "pending"}
    assert report["count"]["transformation"] is None
    assert report.proc.stdout.splitlines()[:1] == ["will-run norm  (never run before)"]
    assert not (project.root / "sorted.txt").exists()
    assert not (project.cache / "__TOPLEVEL__" / "seamless.db").exists()
    project.run()
    project.write("Seamlessfile", PIPELINE.replace('suffix = "!"', 'suffix = "?"'))
    again = project.run("-n")
    assert again.statuses == {"norm": "cached", "count": "cached", "shout": "will-run"}
    assert project.read("loud.txt") == "APPLE!\nPEAR!\n"


def test_a_fresh_clone_of_the_project_is_fully_cached(project, tmp_path):
    """Caching survives moving the project: identity has no absolute paths or times in it."""
    make_pipeline(project)
    project.run()
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("Seamlessfile", "data.txt"):
        (clone / name).write_bytes((project.root / name).read_bytes())
    other = type(project)(clone, project.cache)
    report = other.run()
    assert set(report.statuses.values()) == {"cached"}
    assert other.read("loud.txt") == "APPLE!\nPEAR!\n"


OLD_CACHE = '''
step loud:
    inputs: data.txt
    shell: "tr a-z A-Z < data.txt"
    stdout: loud.txt

step size:
    inputs: data.txt
    python: "open('size.txt', 'w').write(str(len(open('data.txt').read())))"
    captures: size.txt
'''


def test_a_cache_of_the_former_format_is_ignored_not_misread(project):
    """A cache written before shell steps became Seamless bash transformations holds
    results under `seamlessflow/1` transformation dicts (a `<stdout>` key in a result
    mapping): none of them is taken for a result of the current format."""
    from seamlessflow.identity.checksum import checksum_bytes, checksum_value, plain_serialize
    from seamlessflow.session.loading import load_dag
    from seamlessflow.storage.local_store import LocalBufferStore
    from seamlessflow.storage.sqlite_db import SqliteResultDatabase

    project.write("Seamlessfile", OLD_CACHE)
    project.write("data.txt", "pear\n")
    instances = load_dag(project.root / "Seamlessfile", {}, keep_plan=False).workflow.instances
    store = LocalBufferStore(project.cache / "__TOPLEVEL__")
    db = SqliteResultDatabase(project.cache / "__TOPLEVEL__" / "seamless.db")
    data = store.put(b"pear\n")
    for name, key in (("loud", "<stdout>"), ("size", "size.txt")):
        inst = instances[name]
        old = {"__language__": inst.language, "__format__": "seamlessflow/1",
               "code": store.put(inst.code.encode()), "inputs": {"data.txt": data},
               "params": {}, "captures": [] if key == "<stdout>" else [key],
               "stdout": key == "<stdout>"}
        store.put(plain_serialize(old))
        mapping = {key: store.put(b"from the old cache\n")}
        db.set_result(checksum_value(old), store.put(plain_serialize(mapping)),
                      captures=mapping)
    assert checksum_bytes(b"pear\n") == data
    report = project.run()
    assert report.statuses == {"loud": "ran", "size": "ran"}
    assert (project.read("loud.txt"), project.read("size.txt")) == ("PEAR\n", "5")
