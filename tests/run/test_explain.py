"""`explain` follows the provenance chain: inputs by project path and producer, files
inside captured directories, and an error for a path the workflow does not know."""

from __future__ import annotations

QC = '''
let samples = [S1, S2]

step clean for s in samples:
    inputs: data/{s}.txt -> raw.txt
    shell: "tr a-z A-Z < raw.txt > clean.txt"
    captures: clean.txt -> clean/{s}.fa

step qc for s in samples:
    inputs: clean/{s}.fa -> reads.fa
    shell: """
        mkdir -p out
        wc -c < reads.fa > out/stats.txt
        """
    captures: out/ -> qc/{s}/
'''


def make(project) -> None:
    project.write("Seamlessfile", QC)
    project.write("data/S1.txt", "abc\n")
    project.write("data/S2.txt", "de\n")


def test_inputs_are_named_by_project_path_and_producer(project):
    make(project)
    report = project.run()
    out = project.sf("explain", "qc/S1").stdout
    cs = report["clean[s=S1]"]["captures"]["clean/S1.fa"]
    assert f"      clean/S1.fa  {cs}  from clean[s=S1]  (as reads.fa)" in out
    source = project.sf("explain", "clean/S1.fa").stdout
    assert "data/S1.txt" in source and "(as raw.txt)" in source
    (project.root / ".seamlessflow" / "history.json").unlink()  # then the workflow tells
    again = project.sf("explain", "qc/S1").stdout
    assert f"      clean/S1.fa  {cs}  from clean[s=S1]  (as reads.fa)" in again


def test_a_file_inside_a_captured_directory_is_explained_by_its_step(project):
    make(project)
    project.run()
    proc = project.sf("explain", "qc/S1/stats.txt")
    assert proc.returncode == 0
    assert "  inside          qc/S1/, captured as a directory" in proc.stdout
    assert "  produced by     qc[s=S1]" in proc.stdout
    assert "  on disk         matches" in proc.stdout
    project.write("qc/S1/stats.txt", "999\n")
    assert "differs" in project.sf("explain", "qc/S1/stats.txt").stdout


def test_a_file_inside_a_directory_not_yet_captured_names_its_step(project):
    make(project)
    out = project.sf("explain", "qc/S2/stats.txt").stdout
    assert "inside qc/S2/, captured by qc[s=S2]" in out


def test_an_unknown_path_is_an_error(project):
    make(project)
    project.run()
    proc = project.sf("explain", "qc/S9/stats.txt", check=False)
    assert proc.returncode == 2
    assert "qc/S9/stats.txt is neither produced nor used by any step" in proc.stderr
