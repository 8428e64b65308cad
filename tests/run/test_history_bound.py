"""The run history stays bounded when steps are renamed run after run, while every
reason and `explain` still says what it said."""

from __future__ import annotations

import json

from seamlessflow.scheduling.history import KEEP_SAVES

WORKFLOW = '''
step kept:
    params: n = {n}
    shell: "echo {code} $n > kept.txt"
    captures: kept.txt -> kept.txt

step renamed{i}:
    params: n = {n}
    shell: "echo $n > renamed-{i}.txt"
    captures: renamed-{i}.txt -> renamed-{i}.txt

step writer{i}:
    shell: "echo {i} > written.txt"
    captures: written.txt -> written.txt
'''


def test_entries_of_instances_long_gone_are_dropped_and_reasons_stay(project):
    def run(i: int, n: int, code: str):
        project.write("Seamlessfile", WORKFLOW.format(i=i, n=n, code=code))
        return project.run()

    history = project.root / ".seamlessflow" / "history.json"
    first = run(0, 0, "a")
    assert first["renamed0"]["reason"] == "never run before"
    sizes = []
    for i in range(1, KEEP_SAVES + 6):
        report = run(i, i, "b" if i % 2 else "a")
        assert report["kept"]["reason"] == f"code changed; param n: {i - 1} → {i}"
        sizes.append(len(json.loads(history.read_bytes())["instances"]))
    # one new instance per run of each renamed step: without a bound, 2 more entries a run
    assert sizes[-1] == sizes[-2] < 2 * (KEEP_SAVES + 5)
    entries = json.loads(history.read_bytes())["instances"]
    assert "renamed0" not in entries and "writer0" not in entries
    last = KEEP_SAVES + 5
    assert {"kept", f"renamed{last}", f"writer{last}"} <= set(entries)
    # an instance gone for fewer runs than the bound comes back with its reason
    report = run(last - 3, last + 1, "a")
    assert report[f"renamed{last - 3}"]["reason"] == f"param n: {last - 3} → {last + 1}"
    assert report["kept"]["reason"] == f"code changed; param n: {last} → {last + 1}"
    explained = project.sf("explain", "kept.txt").stdout
    assert f"param n: {last} → {last + 1}" in explained
