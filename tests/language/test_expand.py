"""Expansion of a Seamlessfile into step instances: sweeps, products, glob, include, config."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from seamlessflow.errors import UsageError
from seamlessflow.language.config import parse_overrides
from seamlessflow.language.load import load_workflow


def test_a_sweep_makes_one_instance_per_value(project):
    project.write("Seamlessfile", """
        let lengths = [3, 5, 8]
        step count for n in lengths:
            inputs: tokens.txt
            params: n, label = fixed
            shell: "true"
            captures: counts.txt -> counts/{n}.txt
        """)
    instances = project.load().instances
    assert list(instances) == ["count[n=3]", "count[n=5]", "count[n=8]"]
    for n in (3, 5, 8):
        inst = instances[f"count[n={n}]"]
        assert (inst.step, inst.bindings, inst.params) == ("count", {"n": n},
                                                           {"n": n, "label": "fixed"})
        assert [c.project_path for c in inst.captures] == [f"counts/{n}.txt"]
        assert [i.project_path for i in inst.inputs] == ["tokens.txt"]


def test_two_sweep_variables_make_the_cartesian_product_in_order(project):
    project.write("Seamlessfile", """
        let samples = [a, b, c]
        let modes = [upper, lower]
        step t for s in samples, m in modes:
            params: s, m
            shell: "true"
            captures: out -> t/{s}-{m}.txt
        """)
    instances = project.load().instances
    assert list(instances) == [f"t[s={s},m={m}]" for s in "abc" for m in ("upper", "lower")]
    assert instances["t[s=c,m=lower]"].params == {"s": "c", "m": "lower"}
    assert instances["t[s=c,m=lower]"].captures[0].project_path == "t/c-lower.txt"


def test_a_step_sweep_times_an_item_sweep(project):
    project.write("Seamlessfile", """
        let samples = [a, b]
        let chunks = range(3)
        step merge for s in samples:
            inputs: parts/{s}/{c}.txt -> in/{c}.txt for c in chunks, ref.txt
            shell: "true"
            captures: merged/{s}.txt
        """)
    instances = project.load().instances
    assert list(instances) == ["merge[s=a]", "merge[s=b]"]
    inputs = instances["merge[s=b]"].inputs
    assert [(i.project_path, i.workspace_path) for i in inputs] == [
        ("parts/b/0.txt", "in/0.txt"), ("parts/b/1.txt", "in/1.txt"),
        ("parts/b/2.txt", "in/2.txt"), ("ref.txt", "ref.txt")]


def test_an_item_sweep_over_two_variables(project):
    project.write("Seamlessfile", """
        step summary:
            inputs: counts/{n}-{m}.txt for n in [1, 2], m in [x, y]
            shell: "true"
            captures: summary.md
        """)
    inputs = project.load().instances["summary"].inputs
    assert [i.project_path for i in inputs] == ["counts/1-x.txt", "counts/1-y.txt",
                                                "counts/2-x.txt", "counts/2-y.txt"]


def test_an_item_sweep_variable_shadows_a_let(project):
    project.write("Seamlessfile", """
        let n = 0
        step s for k in [1]:
            inputs: a/{n}.txt, b/{n}.txt for n in [7, 8]
            shell: "true"
            captures: out/{k}-{n}
        """)
    inst = project.load().instances["s[k=1]"]
    assert [i.project_path for i in inst.inputs] == ["a/0.txt", "b/7.txt", "b/8.txt"]
    assert inst.captures[0].project_path == "out/1-0"


def test_glob_lists_the_placeholder_values_of_matching_files(project):
    project.touch("data/s2.fastq", "data/s1.fastq", "data/s1.fastq.gz", "data/other.txt",
                  "data/.hidden.fastq", "elsewhere/s3.fastq")
    project.write("data/s4.fastq.CHECKSUM", "0" * 64 + "\n")  # present only as a sidecar
    project.write("Seamlessfile", """
        let samples = glob("data/{sample}.fastq")
        step clean for sample in samples:
            inputs: data/{sample}.fastq -> raw.fastq
            shell: "true"
            captures: clean/{sample}.fastq
        """)
    workflow = project.load()
    assert list(workflow.instances) == ["clean[sample=s1]", "clean[sample=s2]",
                                        "clean[sample=s4]"]
    assert workflow.instances["clean[sample=s4]"].inputs[0].project_path == "data/s4.fastq"
    code, out, _ = project.check()  # the sidecar stands for the missing file
    assert (code, out) == (0, "ok: 1 step, 3 instances\n")


def test_glob_with_the_placeholder_in_a_folder_and_wildcards(project):
    project.touch("runs/r1/reads.txt", "runs/r2/reads.txt", "runs/r3/notes.txt",
                  "runs/r4/x_reads.txt", "runs/r5/reads.txt.CHECKSUM")
    project.write("Seamlessfile", """
        let a = glob("runs/{run}/reads.txt")
        let b = glob("runs/{run}/*reads.txt")
        let c = glob("r?ns/r{n}/reads.txt")
        step s:
            params: a, b, c
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {
        "a": ["r1", "r2", "r5"], "b": ["r1", "r2", "r4", "r5"], "c": ["1", "2", "5"]}


def test_glob_bracket_expressions_have_their_shell_meaning(project):
    project.touch("d/a1", "d/b2", "d/]3", "d/c4")
    project.write("Seamlessfile", """
        let ab = glob("d/[ab]{n}")
        let not_ab = glob("d/[!ab]{n}")
        let bracket = glob("d/[]a]{n}")
        step s:
            params: ab, not_ab, bracket
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {
        "ab": ["1", "2"], "not_ab": ["3", "4"], "bracket": ["1", "3"]}


def test_glob_of_a_sidecar_without_suffix_in_the_pattern(project):
    project.touch("refs/genome")
    project.write("refs/index.CHECKSUM", "0" * 64 + "\n")
    project.write("Seamlessfile", """
        let refs = glob("refs/{ref}")
        step s:
            params: refs
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {"refs": ["genome", "index"]}


def test_a_sweep_over_a_glob_matching_nothing_is_an_error(project):
    project.touch("data/a.fa")
    project.write("Seamlessfile", """
        let samples = glob("data/{s}.txt")
        step clean for s in samples:
            shell: "true"
            captures: out/{s}
        step after:
            shell: "true"
            captures: done
        """)
    code, _, err = project.check()
    assert code == 2
    assert "Seamlessfile:2:21: error: step 'clean' sweeps over glob(\"data/{s}.txt\") (at " \
           "line 1), which matches no file, so it has no instances" in err
    assert "hint: data/ holds a.fa" in err


def test_include_joins_steps_and_lets_with_project_relative_paths(project):
    project.touch("data/x.txt", "lib/data/x.txt")
    project.write("lib/steps.seamless", """
        include: more.seamless
        let sizes = [1, 2]
        step prepare:
            inputs: data/x.txt
            params: threshold
            shell: "true"
            captures: prepared.txt
        """)
    project.write("lib/more.seamless", """
        let threshold = 0.5
        """)
    project.write("Seamlessfile", """
        step first:
            shell: "true"
            captures: first.txt
        include: lib/steps.seamless
        step use for n in sizes:
            inputs: prepared.txt
            shell: "true"
            captures: use/{n}.txt
        """)
    workflow = project.load()
    # spliced in place: the included steps come where the include is
    assert list(workflow.instances) == ["first", "prepare", "use[n=1]", "use[n=2]"]
    prepare = workflow.instances["prepare"]
    assert prepare.inputs[0].project_path == "data/x.txt"  # not lib/data/x.txt
    assert prepare.params == {"threshold": 0.5}
    assert list(workflow.source_files) == [str(project.root / "Seamlessfile"),
                                           str(project.root / "lib/steps.seamless"),
                                           str(project.root / "lib/more.seamless")]
    # each with the checksum of the bytes that were parsed (what the plan cache compares)
    for path, checksum in workflow.source_files.items():
        assert checksum == hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_file_with_crlf_lines_is_parsed_and_its_bytes_checksummed(project):
    project.write("Seamlessfile", 'step a:\r\n    shell: "true"\r\n    captures: a.txt\r\n')
    workflow = project.load()
    assert workflow.instances["a"].captures[0].project_path == "a.txt"
    data = (project.root / "Seamlessfile").read_bytes()
    assert b"\r\n" in data
    assert workflow.source_files[str(project.root / "Seamlessfile")] == \
        hashlib.sha256(data).hexdigest()


def test_lets_are_global_whatever_their_place(project):
    project.write("Seamlessfile", """
        step s for n in later:
            params: n, also
            shell: "true"
            captures: out/{n}
        let later = [1, 2]
        let also = late
        """)
    assert project.load().instances["s[n=2]"].params == {"n": 2, "also": "late"}


def test_a_let_value_is_a_literal_not_a_variable(project):
    project.write("Seamlessfile", """
        let xs = [1, 2]
        let ys = xs
        step s:
            params: ys, zs = xs
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {"ys": "xs", "zs": "xs"}


def test_parse_overrides_reads_yaml_values_and_dotted_keys():
    assert parse_overrides(["n=3", "ratio=0.5", "on=true", "name=alpha", "sizes=[7, 9]",
                            "plot.width=40", "plot.title=My plot", "empty=", "nothing=null"]) \
        == {"n": 3, "ratio": 0.5, "on": True, "name": "alpha", "sizes": [7, 9],
            "plot": {"width": 40, "title": "My plot"}, "empty": "", "nothing": None}


@pytest.mark.parametrize("bad", ["novalue", "=3", "x=[1, 2"])
def test_parse_overrides_refuses_malformed_items(bad):
    with pytest.raises(UsageError, match="--config"):
        parse_overrides([bad])


def test_config_override_replaces_a_key_and_merges_into_nested_ones(project):
    project.write("c.yaml", """
        sizes: [2, 3]
        plot:
          width: 30
          title: weather
        """)
    project.write("Seamlessfile", """
        config: c.yaml
        let sizes = config.sizes
        step s for n in sizes:
            params: width = config.plot.width, title = config.plot.title
            shell: "true"
            captures: out/{n}
        """)
    assert list(project.load().instances) == ["s[n=2]", "s[n=3]"]
    workflow = project.load(parse_overrides(["sizes=[7]", "plot.width=40"]))
    assert list(workflow.instances) == ["s[n=7]"]
    assert workflow.instances["s[n=7]"].params == {"width": 40, "title": "weather"}


def test_config_override_without_a_config_file(project):
    project.write("Seamlessfile", """
        let samples = config.samples
        step s for x in samples:
            shell: "true"
            captures: out/{x}
        """)
    assert list(project.load({"samples": ["a", "b"]}).instances) == ["s[x=a]", "s[x=b]"]


def test_check_passes_config_overrides_to_the_workflow(project):
    project.write("c.yaml", "sizes: [2, 3]\n")
    project.write("Seamlessfile", """
        config: c.yaml
        step s for n in config.sizes:
            shell: "true"
            captures: out/{n}
        """)
    assert project.check()[:2] == (0, "ok: 1 step, 2 instances\n")
    assert project.check("--config", "sizes=[1, 2, 3, 4]")[:2] == (0, "ok: 1 step, 4 instances\n")
    [error] = project.check_errors("--config", "sizes=5")
    assert error.where == "Seamlessfile:2:17"
    assert "'n' must sweep over a list, but this is the number 5" in error.message


def test_instance_names_write_values_plainly(project):
    project.write("Seamlessfile", """
        step t for s in [a, "b c"], flag in [true, false], x in [0.5, -2, null]:
            shell: "true"
            captures: o.txt -> out/{s}-{flag}-{x}
        """)
    instances = project.load().instances
    assert "t[s=a,flag=true,x=0.5]" in instances
    assert "t[s=b c,flag=false,x=-2]" in instances
    inst = instances["t[s=a,flag=false,x=null]"]
    assert inst.bindings == {"s": "a", "flag": False, "x": None}
    assert inst.captures[0].project_path == "out/a-false-null"


def test_paths_are_normalised(project):
    project.write("Seamlessfile", """
        step s:
            inputs: ./data//raw.txt, ./corpus/./
            shell: "true"
            captures: ./out/ -> results//out/
        """)
    inst = project.load().instances["s"]
    assert [(i.project_path, i.is_dir) for i in inst.inputs] == [("data/raw.txt", False),
                                                                  ("corpus", True)]
    assert [(c.workspace_path, c.project_path, c.is_dir) for c in inst.captures] == [
        ("out", "results/out", True)]


def test_code_and_params_are_not_interpolated(project):
    project.write("Seamlessfile", """
        step s for n in [1]:
            params: label = "{n}"
            python: "print('{m}', '{{n}}')"
            stdout: out/{n}.txt
        """)
    inst = project.load().instances["s[n=1]"]
    assert inst.params == {"label": "{n}"}
    # {m} names no variable of the step; {{n}} is the escape for a literal {n}
    assert inst.code == "print('{m}', '{n}')"
    assert inst.stdout == "out/1.txt"


def test_the_bundled_examples_expand():
    repo = Path(__file__).resolve().parents[2]
    wordstats = load_workflow(repo / "examples/workflows/wordstats/Seamlessfile")
    assert list(wordstats.instances) == ["tokenize", "count[n=3]", "count[n=5]", "count[n=8]",
                                         "summary"]
    csv = load_workflow(repo / "examples/workflows/csvsummary/Seamlessfile")
    assert list(csv.instances) == ["clean[city=amsterdam]", "clean[city=lisbon]",
                                   "clean[city=oslo]", "summarize", "plotdata"]
    tour = load_workflow(repo / "Seamlessfile.example")
    assert "transform[s=alpha,m=upper]" in tour.instances
    assert "greet" in tour.instances  # from the included file


def test_a_huge_range_is_an_error_not_an_allocation(project):
    project.write("Seamlessfile", """
        let ids = range(0, 1000000000)

        step a for i in ids:
            shell: "echo a > a.txt"
            captures: a.txt -> a-{i}.txt
        """)
    [error] = project.errors()
    assert (error.pos.line, error.pos.column) == (1, 11)
    assert "range gives 1,000,000,000 values" in error.message
