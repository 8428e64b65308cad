"""Every construct of SEAMLESSFILE.md parses and means what the spec says: one test each.

Each test writes a Seamlessfile into a fresh project folder and reads the expanded
workflow back through `load_workflow`, the function every command uses.
"""

from __future__ import annotations

from seamlessflow.errors import SourcePos
from seamlessflow.graph.model import InputItem, StageSettings
from seamlessflow.language import ast
from seamlessflow.language.parser import parse


def _items(items) -> list[tuple[str, str, bool]]:
    """(left path, right path, is_dir) of input or capture items, as declared."""
    out = []
    for item in items:
        if isinstance(item, InputItem):
            out.append((item.project_path, item.workspace_path, item.is_dir))
        else:
            out.append((item.workspace_path, item.project_path, item.is_dir))
    return out


def test_project(project):
    project.write("Seamlessfile", """
        project: wordstats
        """)
    workflow = project.load()
    assert workflow.project == "wordstats"
    assert workflow.instances == {}


def test_config_keys_are_read_as_config_dot_key(project):
    project.write("settings/run.yaml", """
        top: 5
        plot:
          width: 30
        """)
    project.write("Seamlessfile", """
        config: settings/run.yaml
        let top = config.top
        step s:
            params: top, width = config.plot.width
            shell: "true"
            captures: out
        """)
    workflow = project.load()
    assert workflow.instances["s"].params == {"top": 5, "width": 30}
    assert str(project.root / "settings/run.yaml") in workflow.source_files


def test_include_splices_lets_and_steps(project):
    project.write("more.seamless", """
        let n = 3
        step extra:
            shell: "true"
            captures: extra.txt
        """)
    project.write("Seamlessfile", """
        include: more.seamless
        step main:
            params: n
            shell: "true"
            captures: main.txt
        """)
    workflow = project.load()
    assert list(workflow.instances) == ["extra", "main"]
    assert workflow.instances["main"].params == {"n": 3}
    assert str(project.root / "more.seamless") in workflow.source_files


def test_let_with_a_value(project):
    project.write("Seamlessfile", """
        let name = sample_1
        let count = 3
        let ratio = 0.5
        let flag = true
        let nothing = null
        let quoted = "3"
        step s:
            params: name, count, ratio, flag, nothing, quoted
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {
        "name": "sample_1", "count": 3, "ratio": 0.5, "flag": True, "nothing": None,
        "quoted": "3"}


def test_let_with_a_list(project):
    project.write("Seamlessfile", """
        let sizes = [3, "five", [a, b], -2, 1e-3]
        step s:
            params: sizes
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {"sizes": [3, "five", ["a", "b"], -2, 0.001]}


def test_let_with_a_config_key(project):
    project.write("c.yaml", "samples: [a, b]\nnested:\n  deeper:\n    key: 7\n")
    project.write("Seamlessfile", """
        config: c.yaml
        let samples = config.samples
        let key = config.nested.deeper.key
        step s for x in samples:
            params: key
            shell: "true"
            captures: out/{x}
        """)
    workflow = project.load()
    assert list(workflow.instances) == ["s[x=a]", "s[x=b]"]
    assert workflow.instances["s[x=a]"].params == {"key": 7}


def test_let_with_range(project):
    project.write("Seamlessfile", """
        let a = range(3)
        let b = range(1, 4)
        let c = range(10, 0, -4)
        step s:
            params: a, b, c
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {"a": [0, 1, 2], "b": [1, 2, 3],
                                                     "c": [10, 6, 2]}


def test_let_with_glob(project):
    project.touch("data/beta.fastq", "data/alpha.fastq", "data/notes.txt")
    project.write("Seamlessfile", """
        let samples = glob("data/{sample}.fastq")
        step s:
            params: samples
            shell: "true"
            captures: out
        """)
    workflow = project.load()
    assert workflow.instances["s"].params == {"samples": ["alpha", "beta"]}
    assert workflow.globs == {"data/{sample}.fastq": ["alpha", "beta"]}


def test_top_level_stage_settings(project):
    project.write("Seamlessfile", """
        execution: spawn
        workers: 3
        """)
    default = project.load().default_stage
    assert (default.execution, default.workers, default.remote, default.cluster) == \
        ("spawn", 3, None, None)


def test_stage_blocks(project):
    project.write("Seamlessfile", """
        stage pool:
            execution: spawn
            workers: 2
        stage far:
            execution: remote
            remote: daskserver
            cluster: big_one
        step s:
            stage: far
            shell: "true"
            captures: out
        """)
    workflow = project.load()
    assert workflow.stages == {
        "pool": StageSettings(execution="spawn", workers=2, pos=SourcePos(
            str(project.root / "Seamlessfile"), 1, 1)),
        "far": StageSettings(execution="remote", remote="daskserver", cluster="big_one",
                             pos=SourcePos(str(project.root / "Seamlessfile"), 4, 1)),
    }
    # where each setting is written, for errors found when the stage is used
    assert workflow.stages["far"].at == {
        name: SourcePos(str(project.root / "Seamlessfile"), line, 5)
        for name, line in (("execution", 5), ("remote", 6), ("cluster", 7))}
    assert workflow.instances["s"].stage == "far"


def test_step_block(project):
    project.write("Seamlessfile", """
        step tokenize:
            inputs: corpus/
            shell: "cat corpus/* > tokens.txt"
            captures: tokens.txt
        """)
    inst = project.load().instances["tokenize"]
    assert (inst.name, inst.step, inst.bindings, inst.language) == \
        ("tokenize", "tokenize", {}, "bash")
    assert inst.code == "cat corpus/* > tokens.txt"
    assert _items(inst.inputs) == [("corpus", "corpus", True)]
    assert _items(inst.captures) == [("tokens.txt", "tokens.txt", False)]
    # the defaults of the optional fields
    assert (inst.params, inst.metavars, inst.stdout, inst.stage, inst.scratch, inst.retries,
            inst.timeout, inst.cores) == ({}, {}, None, None, False, 0, None, 1)


def test_step_swept_over_one_variable(project):
    project.write("Seamlessfile", """
        let lengths = [3, 5, 8]
        step count for n in lengths:
            params: n
            shell: "true"
            captures: counts.txt -> counts/{n}.txt
        """)
    instances = project.load().instances
    assert list(instances) == ["count[n=3]", "count[n=5]", "count[n=8]"]
    assert instances["count[n=5]"].bindings == {"n": 5}
    assert instances["count[n=5]"].params == {"n": 5}
    assert _items(instances["count[n=5]"].captures) == [("counts.txt", "counts/5.txt", False)]


def test_step_swept_over_two_variables(project):
    project.write("Seamlessfile", """
        step t for s in [a, b], m in [upper, lower]:
            shell: "true"
            captures: out -> {s}/{m}.txt
        """)
    instances = project.load().instances
    assert list(instances) == ["t[s=a,m=upper]", "t[s=a,m=lower]", "t[s=b,m=upper]",
                               "t[s=b,m=lower]"]
    assert instances["t[s=b,m=upper]"].bindings == {"s": "b", "m": "upper"}


def test_sweep_over_an_inline_list_range_and_glob(project):
    project.touch("in/x.txt", "in/y.txt")
    project.write("Seamlessfile", """
        step a for n in range(2), f in glob("in/{f}.txt"):
            shell: "true"
            captures: out -> a/{n}{f}
        """)
    assert list(project.load().instances) == ["a[n=0,f=x]", "a[n=0,f=y]", "a[n=1,f=x]",
                                              "a[n=1,f=y]"]


def test_inputs_with_rename(project):
    project.write("Seamlessfile", """
        step s:
            inputs: data/raw.csv -> in.csv, refs/ -> r/, plain.txt
            shell: "true"
            captures: out
        """)
    assert _items(project.load().instances["s"].inputs) == [
        ("data/raw.csv", "in.csv", False), ("refs", "r", True), ("plain.txt", "plain.txt", False)]


def test_inputs_with_for_sweeps(project):
    project.write("Seamlessfile", """
        let lengths = [3, 5]
        step s:
            inputs: counts/{n}.txt for n in lengths, pairs/{a}-{b} -> p/{a}{b} for a in [x, y], b in [1, 2], last.txt
            shell: "true"
            captures: out
        """)
    assert _items(project.load().instances["s"].inputs) == [
        ("counts/3.txt", "counts/3.txt", False), ("counts/5.txt", "counts/5.txt", False),
        ("pairs/x-1", "p/x1", False), ("pairs/x-2", "p/x2", False),
        ("pairs/y-1", "p/y1", False), ("pairs/y-2", "p/y2", False),
        ("last.txt", "last.txt", False)]


def test_params_name_equals_value(project):
    project.write("Seamlessfile", """
        step s:
            params: top = 5, label = "two words", on = false, sizes = [1, 2], path = a/b.txt
            shell: "true"
            captures: out
        """)
    assert project.load().instances["s"].params == {
        "top": 5, "label": "two words", "on": False, "sizes": [1, 2], "path": "a/b.txt"}


def test_params_bare_name_takes_the_sweep_or_let_variable(project):
    project.write("Seamlessfile", """
        let top = 10
        step s for n in [1, 2]:
            params: n, top
            shell: "true"
            captures: out/{n}
        """)
    assert project.load().instances["s[n=2]"].params == {"n": 2, "top": 10}


def test_shell_and_python(project):
    project.write("Seamlessfile", """
        step b:
            shell: "echo hi > out"
            captures: b.txt
        step p:
            python: "open('out', 'w').write('hi')"
            captures: p.txt
        """)
    instances = project.load().instances
    assert (instances["b"].language, instances["b"].code) == ("bash", "echo hi > out")
    assert (instances["p"].language, instances["p"].code) == \
        ("python", "open('out', 'w').write('hi')")


def test_triple_quoted_code_is_raw_and_dedented(project):
    project.write("Seamlessfile", '''
        step s:
            shell: """
                tr -cs '[:alnum:]' '\\n' < in > out
                if true; then
                    echo "done \\t"
                fi
                """
            captures: out
        step p:
            python: \'\'\'
                print("a\\nb")\'\'\'
            captures: out2
        ''')
    instances = project.load().instances
    # raw: backslashes stay; first newline and the last blank line dropped; dedented
    assert instances["s"].code == (
        "tr -cs '[:alnum:]' '\\n' < in > out\n"
        "if true; then\n"
        '    echo "done \\t"\n'
        "fi\n")
    assert instances["p"].code == 'print("a\\nb")'


def test_triple_quoted_string_keeps_a_last_line_with_text(project):
    project.write("Seamlessfile", '''
        step s:
            shell: """echo one
                  echo two"""
            captures: out
        ''')
    assert project.load().instances["s"].code == "echo one\n          echo two"


def test_one_line_string_escapes(project):
    project.write("Seamlessfile", r'''
        step s:
            shell: "printf 'a\tb\n' \"q\" \\ \x"
            captures: out
        step t:
            python: 'x = \'it\'s\''
            captures: out2
        ''')
    instances = project.load().instances
    # \\ \" \' \n \t are escapes; any other backslash stays as written
    assert instances["s"].code == "printf 'a\tb\n' \"q\" \\ \\x"
    assert instances["t"].code == "x = 'it's'"


def test_captures_with_rename_and_directories(project):
    project.write("Seamlessfile", """
        step s:
            shell: "true"
            captures: out.txt -> results/a.txt, bundle/, tmp/ -> kept/, plain
        """)
    assert _items(project.load().instances["s"].captures) == [
        ("out.txt", "results/a.txt", False), ("bundle", "bundle", True), ("tmp", "kept", True),
        ("plain", "plain", False)]


def test_stdout(project):
    project.write("Seamlessfile", """
        step s for n in [1, 2]:
            shell: "echo $n"
            stdout: logs/{n}.txt
        """)
    inst = project.load().instances["s[n=2]"]
    assert inst.stdout == "logs/2.txt"
    assert inst.captures == []
    assert (inst.stdout_pos.line, inst.stdout_pos.column) == (3, 13)


def test_metavars(project):
    project.write("Seamlessfile", """
        let threads = 4
        step s:
            metavars: threads, verbose = true
            shell: "true"
            captures: out
        """)
    inst = project.load().instances["s"]
    assert inst.metavars == {"threads": 4, "verbose": True}
    assert inst.params == {}


def test_stage_field(project):
    project.write("Seamlessfile", """
        stage pool:
            execution: spawn
        step s:
            stage: pool
            shell: "true"
            captures: out
        step t:
            stage: default
            shell: "true"
            captures: out2
        """)
    instances = project.load().instances
    assert instances["s"].stage == "pool"
    assert (instances["s"].stage_pos.line, instances["s"].stage_pos.column) == (4, 5)
    assert instances["t"].stage == "default"


def test_scratch_retries_timeout_cores(project):
    project.write("Seamlessfile", """
        step s:
            scratch: true
            retries: 2
            timeout: 1.5
            cores: 3
            shell: "true"
            captures: out
        step t:
            scratch: false
            timeout: 60
            shell: "true"
            captures: out2
        """)
    instances = project.load().instances
    s, t = instances["s"], instances["t"]
    assert (s.scratch, s.retries, s.timeout, s.cores) == (True, 2, 1.5, 3)
    assert (t.scratch, t.timeout) == (False, 60)


def test_comments(project):
    project.write("Seamlessfile", """
        # a comment line
        let xs = [a, b]   # after a statement
        step s:   # after a header
            # inside a block
            shell: "echo '# not a comment'"  # after a field
                # deeper than the block
            captures: out   # after the last field
        # at the end, without a newline""".rstrip("\n"))
    inst = project.load().instances["s"]
    assert inst.code == "echo '# not a comment'"
    assert _items(inst.captures) == [("out", "out", False)]


def test_continuation_lines_after_a_trailing_comma(project):
    project.write("Seamlessfile", """
        step s:
            inputs: a.txt,
                    b.txt -> bee.txt,
              c/{n}.txt for n in [1,
                                  2]
            params: x = 1,
                y = [1,
            2]
            shell: "true"
            captures: out
        """)
    inst = project.load().instances["s"]
    assert _items(inst.inputs) == [("a.txt", "a.txt", False), ("b.txt", "bee.txt", False),
                                   ("c/1.txt", "c/1.txt", False), ("c/2.txt", "c/2.txt", False)]
    assert inst.params == {"x": 1, "y": [1, 2]}


def test_block_form_of_a_field(project):
    project.write("Seamlessfile", """
        step s:
            inputs:
                a.txt
                b.txt, c.txt
                d/{n}.txt for n in [1, 2]
            params:
                top = 5
            shell:
                "true"
            captures:
                out
        """)
    inst = project.load().instances["s"]
    assert [i.project_path for i in inst.inputs] == ["a.txt", "b.txt", "c.txt", "d/1.txt",
                                                     "d/2.txt"]
    assert inst.params == {"top": 5}
    assert inst.code == "true"


def test_double_braces_are_literal_braces(project):
    project.write("Seamlessfile", """
        step s for n in [1]:
            inputs: "a {{x}}/{n}.txt"
            shell: "echo {m} {{m}} {{n}}"
            captures: out -> results/report-{{v{n}}}.txt
        """)
    inst = project.load().instances["s[n=1]"]
    assert inst.inputs[0].project_path == "a {x}/1.txt"
    assert inst.captures[0].project_path == "results/report-{v1}.txt"
    # code is never interpolated; {{n}} of a step variable is the escape for a literal {n}
    assert inst.code == "echo {m} {{m}} {n}"


def test_keywords_may_start_a_path(project):
    project.write("Seamlessfile", """
        step s:
            inputs: step.txt, letters/, format.csv, in.txt
            shell: "true"
            captures: stage
        """)
    inst = project.load().instances["s"]
    assert [i.project_path for i in inst.inputs] == ["step.txt", "letters", "format.csv",
                                                     "in.txt"]


def test_windows_line_endings(project):
    (project.root / "Seamlessfile").write_bytes(
        b'step s:\r\n    shell: """\r\n        echo hi\r\n        """\r\n    captures: out\r\n')
    assert project.load().instances["s"].code == "echo hi\n"


def test_an_empty_seamlessfile_is_an_empty_workflow(project):
    project.write("Seamlessfile", "\n# nothing yet\n")
    assert project.load().instances == {}


# ---- positions


def test_ast_positions_of_statements_fields_and_items():
    text = (
        "let xs = [a, b]\n"                                   # 1
        "step count for n in xs:\n"                           # 2
        "    inputs: tokens.txt -> t.txt, c/{m}.txt for m in xs,\n"  # 3
        "            more.txt\n"                              # 4
        '    shell: "wc"\n'                                   # 5
        "    captures:\n"                                     # 6
        "        out\n"                                       # 7
    )
    module = parse(text, "S")
    let, step = module.statements
    assert isinstance(let, ast.Let)
    assert (let.pos, let.name_pos) == (SourcePos("S", 1, 1), SourcePos("S", 1, 5))
    assert let.value.pos == SourcePos("S", 1, 10)
    assert isinstance(step, ast.Step)
    assert (step.pos, step.name_pos) == (SourcePos("S", 2, 1), SourcePos("S", 2, 6))
    [sweep] = step.sweep
    assert (sweep.var_pos, sweep.values.pos) == (SourcePos("S", 2, 16), SourcePos("S", 2, 21))
    inputs, shell, captures = step.fields
    assert inputs.pos == SourcePos("S", 3, 5)
    first, second, third = inputs.items
    assert first.pos == SourcePos("S", 3, 13)
    assert first.renamed.pos == SourcePos("S", 3, 27)
    assert second.pos == SourcePos("S", 3, 34)
    assert second.sweep[0].var_pos == SourcePos("S", 3, 48)
    assert third.pos == SourcePos("S", 4, 13)
    assert shell.items[0].pos == SourcePos("S", 5, 12)
    assert captures.items[0].pos == SourcePos("S", 7, 9)


def test_instance_positions(project):
    project.write("Seamlessfile", """
        let ns = [1, 2]

        step count for n in ns:
            inputs: in/{n}.txt
            shell: "true"
            captures: out -> out/{n}.txt
            stdout: log/{n}.txt
        """)
    file = str(project.root / "Seamlessfile")
    for inst in project.load().instances.values():
        assert inst.pos == SourcePos(file, 3, 1)  # the `step` keyword
        assert inst.inputs[0].pos == SourcePos(file, 4, 13)
        assert inst.captures[0].pos == SourcePos(file, 6, 15)
        assert inst.stdout_pos == SourcePos(file, 7, 13)


def test_positions_in_an_included_file_name_that_file(project):
    project.write("sub/part.seamless", """
        # the included part

        step inner:
            shell: "true"
            captures: inner.txt
        """)
    project.write("Seamlessfile", "include: sub/part.seamless\n")
    inst = project.load().instances["inner"]
    assert inst.pos == SourcePos(str(project.root / "sub/part.seamless"), 3, 1)
    assert inst.captures[0].pos.file == str(project.root / "sub/part.seamless")
