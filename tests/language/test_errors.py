"""Broken Seamlessfiles: `seamlessflow check` exits 2 and says what is wrong, and where.

Each case is a project (its Seamlessfile and any other file) and the one error it must
produce: `FILE:LINE:COL`, the gist of the message, and the hint where one is expected.
Exactly one error each, so that a cascade of follow-up errors is caught too. Link errors
(duplicate captures, cycles, missing inputs) are the graph layer's, tested in tests/graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

OK_STEP = 'step ok:\n    shell: "true"\n    captures: ok.txt\n'


@dataclass
class Case:
    id: str
    seamlessfile: str
    where: str  # FILE:LINE:COL, FILE relative to the project folder
    gist: str  # a part of the message
    hint: str | None = None  # a part of the hint; None: no hint expected
    files: dict[str, str] = field(default_factory=dict)


CASES = [
    # ---- lexical and syntax errors
    Case("tab-indentation", 'step a:\n\tshell: "true"\n\tcaptures: o\n',
         "Seamlessfile:2:1", "a tab in indentation", "indent with spaces only"),
    Case("tab-after-spaces", 'step a:\n    shell: "true"\n  \t  captures: o\n',
         "Seamlessfile:3:3", "a tab in indentation", "spaces"),
    Case("bad-dedent", 'step a:\n    shell: "true"\n  captures: o\n',
         "Seamlessfile:3:3", "indented by 2 spaces, which matches no enclosing block",
         "indent it by 4 spaces to continue the block above, or by 0 to end it"),
    Case("unexpected-indentation", 'step a:\n    shell: "true"\n        captures: o\n',
         "Seamlessfile:3:9", "unexpected indentation", "indent it like the line above"),
    Case("indented-first-line", '  step a:\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:1:1", "unexpected indentation", "first column"),
    Case("unterminated-string", 'step a:\n    shell: "echo hi\n    captures: o\n',
         "Seamlessfile:2:12", "unterminated string", 'use """..."""'),
    Case("unterminated-triple-quoted-string",
         'step a:\n    shell: """\n        echo hi\n    captures: o\n',
         "Seamlessfile:2:12", 'unterminated """string"""', 'close it with """'),
    Case("missing-colon-after-step-name", 'step a\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:1:7", "unexpected end of line; expected ':' or 'for'",
         "ends with ':'"),
    Case("misspelt-keyword", 'stpe a:\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:1:6", "unexpected 'a'; expected ':'", "did you mean 'step'?"),
    Case("unquoted-value-with-spaces", 'step a:\n    shell: "true" now\n    captures: o\n',
         "Seamlessfile:2:19", "unexpected 'now'", "quote a value that contains spaces"),
    Case("bracket-never-closed", 'let xs = [1, 2\n' + OK_STEP,
         "Seamlessfile:1:10", "'[' is never closed", "close the list with ']'"),
    Case("call-never-closed", 'let xs = range(1, 2\n' + OK_STEP,
         "Seamlessfile:1:15", "'(' is never closed", "close the call with ')'"),
    Case("step-without-fields", 'step a:\n' + OK_STEP,
         "Seamlessfile:2:1", "unexpected 'step'; expected an indented block",
         "indented below the line that ends with ':'"),
    Case("sweep-without-in", 'step a for n [1, 2]:\n    shell: "true"\n    captures: o{n}\n',
         "Seamlessfile:1:14", "expected 'in'"),
    Case("in-without-for", 'step a:\n    shell: "true"\n    captures: o, p in [1]\n',
         "Seamlessfile:3:18", "'p in ...' without a 'for' before it"),
    Case("rename-to-a-list", 'step a:\n    shell: "true"\n    captures: o -> [p, q]\n',
         "Seamlessfile:3:20", "the right side of '->' must be a path"),
    # ---- fields of a step
    Case("unknown-field", 'step a:\n    shell: "true"\n    captrues: o\n',
         "Seamlessfile:3:5", "unknown field 'captrues' in step 'a'", "did you mean 'captures'?"),
    Case("unknown-field-nothing-close", 'step a:\n    shell: "true"\n    captures: o\n'
         '    priority: 3\n',
         "Seamlessfile:4:5", "unknown field 'priority'", "the fields are inputs, params"),
    Case("field-twice", 'step a:\n    shell: "true"\n    captures: o\n    captures: p\n',
         "Seamlessfile:4:5", "field 'captures' given twice in step 'a'",
         "the first is at line 3"),
    Case("empty-field", 'step a:\n    inputs:\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:5", "'inputs:' has no value", "indented below it"),
    Case("no-command", "step a:\n    captures: o\n",
         "Seamlessfile:1:1", "step 'a' has no command", 'shell: "..."'),
    Case("shell-and-python", 'step a:\n    shell: "true"\n    python: "pass"\n    captures: o\n',
         "Seamlessfile:3:5", "step 'a' has both shell: and python:", "split it into two steps"),
    Case("no-captures-or-stdout", 'step a:\n    shell: "true"\n',
         "Seamlessfile:1:1", "step 'a' captures nothing", "stdout: FILE"),
    Case("unquoted-code", "step a:\n    shell: make\n    captures: o\n",
         "Seamlessfile:2:12", "the shell code must be a quoted string", 'shell: "make"'),
    Case("stdout-directory", 'step a:\n    shell: "ls"\n    stdout: listing/\n',
         "Seamlessfile:3:13", "stdout is written to a file, not a directory",
         "drop the trailing '/'"),
    Case("non-integer-retries", 'step a:\n    shell: "true"\n    captures: o\n    retries: 1.5\n',
         "Seamlessfile:4:14", "'retries' must be a whole number of at least 0, not '1.5'"),
    Case("negative-cores", 'step a:\n    shell: "true"\n    captures: o\n    cores: -2\n',
         "Seamlessfile:4:12", "'cores' must be a whole number of at least 1, not '-2'"),
    Case("zero-timeout", 'step a:\n    shell: "true"\n    captures: o\n    timeout: 0\n',
         "Seamlessfile:4:14", "'timeout' must be a number"),
    Case("scratch-not-boolean", 'step a:\n    shell: "true"\n    captures: o\n    scratch: yes\n',
         "Seamlessfile:4:14", "'scratch' must be true or false, not 'yes'"),
    Case("two-values-for-a-single-field",
         'step a:\n    shell: "true"\n    captures: o\n    retries: 1, 2\n',
         "Seamlessfile:4:17", "'retries' takes one value, not 2"),
    Case("unknown-stage", 'stage pool:\n    execution: spawn\n'
         'step a:\n    stage: pol\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:4:12", "unknown stage 'pol'", "did you mean 'pool'?"),
    Case("bare-param-that-is-no-variable", 'step a:\n    params: treshold\n'
         '    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:13", "'treshold' is neither a sweep variable nor a let variable",
         "give it a value: treshold = VALUE"),
    Case("bare-param-misspelt", 'let threshold = 3\nstep a:\n    params: treshold\n'
         '    shell: "true"\n    captures: o\n',
         "Seamlessfile:3:13", "'treshold' is neither", "did you mean 'threshold'?"),
    Case("quoted-param-name", 'step a:\n    params: "n" = 1\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:13", "params: expected NAME = VALUE or a variable name",
         "quote values, not names"),
    Case("sweep-in-params", 'step a:\n    params: n for n in [1]\n    shell: "true"\n'
         '    captures: o\n',
         "Seamlessfile:2:13", "'for' has no meaning in params:", "NAME = VALUE"),
    Case("param-twice", 'step a:\n    params: n = 1, n = 2\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:20", "params: 'n' given twice"),
    Case("assignment-in-inputs", 'step a:\n    inputs: x = 1\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:13", "'=' has no meaning in inputs:", "PATH -> OTHER_PATH"),
    # ---- paths
    Case("absolute-path", 'step a:\n    inputs: /etc/hosts\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:13", "/etc/hosts is an absolute path"),
    Case("path-climbing-out", 'step a:\n    shell: "true"\n    captures: o -> ../o\n',
         "Seamlessfile:3:15", "../o climbs out of the project folder with '..'"),
    Case("path-naming-the-project-folder", 'step a:\n    inputs: ./\n    shell: "true"\n'
         '    captures: o\n',
         "Seamlessfile:2:13", "names the project folder itself"),
    Case("unknown-variable-in-a-path", 'step a for sample in [x]:\n    shell: "true"\n'
         '    captures: out/{sampel}.txt\n',
         "Seamlessfile:3:15", "unknown variable '{sampel}' in a path", "did you mean 'sample'?"),
    Case("unknown-variable-in-stdout", 'step a:\n    shell: "true"\n    stdout: log/{n}.txt\n',
         "Seamlessfile:3:13", "unknown variable '{n}' in a path"),
    Case("brace-not-closed", 'step a:\n    inputs: data/{name.txt\n    shell: "true"\n'
         '    captures: o\n',
         "Seamlessfile:2:13", "'{' in 'data/{name.txt' is never closed", None),
    Case("brace-around-no-name", 'step a:\n    shell: "true"\n    captures: o -> x{1}\n',
         "Seamlessfile:3:20", "'{1}' in 'x{1}' is not a {variable}"),
    Case("lone-closing-brace", 'step a:\n    shell: "true"\n    captures: o}\n',
         "Seamlessfile:3:15", "'}' in 'o}' closes no {variable}"),
    Case("list-variable-in-a-path", 'let xs = [1, 2]\nstep a:\n    shell: "true"\n'
         '    captures: out/{xs}.txt\n',
         "Seamlessfile:4:15", "'xs' is a list, not a single value", None),
    Case("two-inputs-at-one-workspace-path", 'step a:\n    inputs: a/x.txt, b/x.txt -> a/x.txt\n'
         '    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:22", "a: two inputs at workspace path a/x.txt",
         "rename one with PATH -> OTHER"),
    Case("an-input-inside-another-in-the-workspace", 'step a:\n'
         '    inputs: a.txt -> q, b.txt -> q/r\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:25", "a: input b.txt would go to q/r, inside input a.txt at q",
         "give one of them another workspace path"),
    Case("an-input-deep-inside-a-directory-input", 'step a:\n'
         '    inputs: d/ -> q, b.txt -> q/s/t\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:22", "a: input b.txt would go to q/s/t, inside input d at q",
         "give one of them another workspace path"),
    Case("two-captures-from-one-workspace-path", 'step a:\n    shell: "true"\n'
         '    captures: o -> x, o -> y\n',
         "Seamlessfile:3:23", "a: two captures at workspace path o", "OTHER -> PATH"),
    # ---- names, lets, sweeps and functions
    Case("duplicate-step", OK_STEP + 'step ok:\n    shell: "false"\n    captures: other.txt\n',
         "Seamlessfile:4:6", "step 'ok' is declared twice", "rename one"),
    Case("duplicate-let", "let n = 1\nlet n = 2\n" + OK_STEP,
         "Seamlessfile:2:5", "'n' is defined twice", "the first definition is at"),
    Case("duplicate-stage", "stage s:\n    workers: 1\nstage s:\n    workers: 2\n",
         "Seamlessfile:3:7", "stage 's' is declared twice"),
    Case("invalid-step-name", 'step 2nd:\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:1:6", "'2nd' is not a valid step name", "not starting with a digit"),
    Case("unknown-variable-in-a-sweep", "let lengths = [3, 5]\n"
         'step a for n in lenghts:\n    shell: "true"\n    captures: o{n}\n',
         "Seamlessfile:2:17", "unknown variable 'lenghts'", "did you mean 'lengths'?"),
    Case("sweep-over-a-scalar", 'let n = 3\nstep a for x in n:\n    shell: "true"\n'
         '    captures: o{x}\n',
         "Seamlessfile:2:17", "'x' must sweep over a list, but this is the number 3",
         "range(...) or glob(...)"),
    Case("sweep-with-repeated-values", 'step a for x in [a, b, a]:\n    shell: "true"\n'
         '    captures: o{x}\n',
         "Seamlessfile:1:17", "a[x=a] would be made twice", "drop the repeated value"),
    Case("sweep-with-values-equal-as-written", 'step a for x in [1, "1"]:\n'
         '    shell: "true"\n    captures: o{x}\n',
         "Seamlessfile:1:17", "a[x=1] would be made twice", "drop the repeated value"),
    Case("variable-swept-twice", 'step a for x in [1], x in [2]:\n    shell: "true"\n'
         '    captures: o{x}\n',
         "Seamlessfile:1:22", "'x' is swept twice in step 'a'"),
    Case("sweep-over-nested-lists", 'step a:\n    shell: "true"\n'
         '    captures: o{x} for x in [a, [b]]\n',
         "Seamlessfile:3:29", "'x' sweeps over a list that holds a list"),
    Case("glob-without-placeholder", 'let xs = glob("data/*.txt")\n' + OK_STEP,
         "Seamlessfile:1:10", "glob pattern 'data/*.txt' must hold exactly one {placeholder}, "
         "it holds 0", 'glob("data/{sample}.fastq")'),
    Case("glob-with-two-placeholders", 'let xs = glob("{a}/{b}.txt")\n' + OK_STEP,
         "Seamlessfile:1:10", "it holds 2", 'glob("data/{sample}.fastq")'),
    Case("glob-with-a-stray-brace", 'let xs = glob("data/{a}.txt{")\n' + OK_STEP,
         "Seamlessfile:1:10", "exactly one {placeholder}, and no other brace",
         'glob("data/{sample}.fastq")'),
    Case("glob-with-a-bad-bracket-expression", 'let xs = glob("data/[z-a]{s}")\n' + OK_STEP,
         "Seamlessfile:1:10", "has an invalid [...] expression: bad character range z-a"),
    Case("glob-outside-the-project", 'let xs = glob("../{a}.txt")\n' + OK_STEP,
         "Seamlessfile:1:10", "must stay inside the project folder"),
    Case("range-with-bad-arguments", "let xs = range(1, many)\n" + OK_STEP,
         "Seamlessfile:1:10", "range takes one to three whole numbers"),
    Case("range-with-zero-step", "let xs = range(1, 5, 0)\n" + OK_STEP,
         "Seamlessfile:1:10", "range step must not be 0"),
    Case("unknown-function", "let xs = rnage(3)\n" + OK_STEP,
         "Seamlessfile:1:10", "unknown function 'rnage'", "did you mean 'range'?"),
    # ---- names a shell step's bash transformation uses itself
    Case("param-named-code", 'step a:\n    params: code = 1\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:13", "param 'code' takes a name the bash transformation uses itself",
         "rename the param"),
    Case("param-named-like-an-input",
         'step a:\n    inputs: in.txt -> n\n    params: n = 1\n    shell: "true"\n'
         '    captures: o\n',
         "Seamlessfile:3:13", "param 'n' has the name of input 'n'", "rename the param",
         files={"in.txt": "x\n"}),
    Case("param-with-the-metavar-prefix",
         'step a:\n    shell: "true"\n    params: META__n = 1\n    captures: o\n',
         "Seamlessfile:3:13", "param 'META__n' takes a name the bash transformation uses",
         "rename the param"),
    Case("input-inside-RESULT",
         'step a:\n    inputs: in.txt -> RESULT/in.txt\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:13", "input 'RESULT/in.txt' takes a name the bash transformation",
         "PATH -> OTHER", files={"in.txt": "x\n"}),
    Case("input-of-one-instance-named-code",
         'step a for d in [x, code]:\n    shell: "true"\n    inputs: in.txt -> {d}\n'
         '    captures: o -> o{d}\n',
         "Seamlessfile:3:13", "input 'code' takes a name the bash transformation",
         "PATH -> OTHER", files={"in.txt": "x\n"}),
    Case("metavar-with-the-metavar-prefix",
         'step a:\n    metavars: t = 1, META__t = 2\n    shell: "true"\n    captures: o\n',
         "Seamlessfile:2:22", "metavar 'META__t' starts with META__", "rename the metavar"),
    Case("capture-inside-RESULT",
         'step a:\n    shell: "true"\n    captures: RESULT/o -> o\n',
         "Seamlessfile:3:15", "capture 'RESULT/o' is inside RESULT", "OTHER -> PATH"),
    Case("capture-named-STDOUT",
         'step a:\n    shell: "true"\n    captures: STDOUT -> o\n',
         "Seamlessfile:3:15", "capture 'STDOUT' takes the name of STDOUT",
         "to capture standard output, write `stdout: PATH`"),
    Case("capture-inside-STDOUT-beside-stdout",
         'step a:\n    shell: "true"\n    stdout: s.txt\n    captures: STDOUT/o -> o\n',
         "Seamlessfile:4:15", "capture 'STDOUT/o' is inside STDOUT", "OTHER -> PATH"),
    Case("capture-with-a-space",
         'step a:\n    shell: "true"\n    captures: ok.txt, "my out.txt" -> out.txt\n',
         "Seamlessfile:3:23", "capture 'my out.txt' cannot be moved into RESULT by the bash "
         "transformation's code, which names it without quotes: a space",
         "capture that: NAME -> PATH"),
    Case("capture-with-a-dollar",
         'step a:\n    shell: "true"\n    captures: "a$b" -> out.txt\n',
         "Seamlessfile:3:15", "without quotes: '$' means something to bash",
         "capture that: NAME -> PATH"),
    Case("capture-starting-with-a-dash",
         'step a:\n    shell: "true"\n    captures: -n -> out.txt\n',
         "Seamlessfile:3:15", "a name starting with '-' is an option to mv",
         "capture that: NAME -> PATH"),
    # ---- settings, config and include
    Case("unknown-setting", "exection: spawn\n" + OK_STEP,
         "Seamlessfile:1:1", "unknown setting 'exection'", "did you mean 'execution'?"),
    Case("bad-setting-value", "execution: remtoe\n" + OK_STEP,
         "Seamlessfile:1:12", "'execution' must be one of process, spawn, remote, not 'remtoe'",
         "did you mean 'remote'?"),
    Case("zero-workers", "stage s:\n    workers: 0\n",
         "Seamlessfile:2:14", "'workers' must be a whole number of at least 1"),
    Case("too-many-workers", "stage s:\n    workers: 99999999999999999999999\n",
         "Seamlessfile:2:14", "'workers' must be a whole number of at least 1 and at most "
         "10,000, not '99999999999999999999999'"),
    Case("unknown-stage-field", "stage s:\n    worker: 2\n",
         "Seamlessfile:2:5", "unknown field 'worker' in stage 's'", "did you mean 'workers'?"),
    Case("empty-setting", "include:\n" + OK_STEP,
         "Seamlessfile:1:1", "'include:' has no value", "write its value after the ':'"),
    Case("missing-config-file", "config: settings.yml\n" + OK_STEP,
         "Seamlessfile:1:9", "config file settings.yml not found", "looked for"),
    Case("invalid-yaml-in-config", "config: c.yaml\n" + OK_STEP,
         "c.yaml:3:2", "invalid YAML in c.yaml",
         files={"c.yaml": "a: 1\nb: [1, 2\nc: 3\n"}),
    Case("config-not-a-mapping", "config: c.yaml\n" + OK_STEP,
         "Seamlessfile:1:9", "config file c.yaml must hold a YAML mapping",
         files={"c.yaml": "- a\n- b\n"}),
    Case("config-key-missing", "config: c.yaml\nlet s = config.sizs\n" + OK_STEP,
         "Seamlessfile:2:9", "config has no key 'sizs'", "did you mean 'sizes'?",
         files={"c.yaml": "sizes: [1, 2]\n"}),
    Case("nested-config-key-missing", "config: c.yaml\nlet s = config.plot.widht\n" + OK_STEP,
         "Seamlessfile:2:9", "config.plot has no key 'widht'", "did you mean 'width'?",
         files={"c.yaml": "plot:\n  width: 3\n"}),
    Case("config-key-without-config", "let s = config.sizes\n" + OK_STEP,
         "Seamlessfile:1:9", "config.sizes: this workflow has no config",
         "add `config: FILE.yaml`"),
    Case("include-not-found", "include: comon.seamless\n" + OK_STEP,
         "Seamlessfile:1:10", "included file comon.seamless not found",
         "did you mean 'common.seamless'?", files={"common.seamless": "let x = 1\n"}),
    Case("include-twice", "include: a.sf\ninclude: a.sf\n" + OK_STEP,
         "Seamlessfile:2:10", "a.sf is included twice", "include each file once",
         files={"a.sf": "let x = 1\n"}),
    Case("config-twice", "config: a.yaml\nconfig: b.yaml\n" + OK_STEP,
         "Seamlessfile:2:1", "config: given twice", "keep one config file",
         files={"a.yaml": "x: 1\n", "b.yaml": "y: 1\n"}),
    Case("include-cycle", "include: one.sf\n" + OK_STEP,
         "two.sf:1:10", "include cycle: one.sf -> two.sf -> one.sf", "remove one",
         files={"one.sf": "include: two.sf\n", "two.sf": "include: one.sf\n"}),
    Case("syntax-error-in-an-included-file", "include: sub/part.sf\n" + OK_STEP,
         "sub/part.sf:2:5", "unexpected indentation", "indent it like the line above",
         files={"sub/part.sf": "let x = 1\n    let y = 2\n"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_seamlessfile(project, case):
    for rel, text in case.files.items():
        (project.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (project.root / rel).write_text(text)
    (project.root / "Seamlessfile").write_text(case.seamlessfile)
    [error] = project.check_errors()
    assert error.where == case.where
    assert case.gist in error.message
    if case.hint is None:
        assert error.hint is None
    else:
        assert error.hint is not None and case.hint in error.hint


def test_the_report_shows_the_source_line_and_a_caret(project):
    project.write("Seamlessfile", 'step a:\n    shell: "true"\n    captrues: o\n')
    code, out, err = project.check()
    assert code == 2
    assert out == ""
    assert err == (
        f"{project.root}/Seamlessfile:3:5: error: unknown field 'captrues' in step 'a'\n"
        "        captrues: o\n"
        "        ^\n"
        "  hint: did you mean 'captures'?\n"
        "1 error found.\n")


def test_all_errors_of_a_file_are_reported_at_once(project):
    project.write("Seamlessfile", """
        let lengths = [3, 5]
        let lengths = [3]
        step count for n in lenghts:
            shel: "wc"
            captures: c.txt
        step sum:
            inputs: /abs/path, counts/{m}.txt
            shell: "true"
            retries: -1
            stage: fast
            captures: s.txt
        let bad = glob("x")
        """)
    errors = project.check_errors()
    assert [(e.where, e.message.split(";")[0]) for e in errors] == [
        ("Seamlessfile:2:5", "'lengths' is defined twice"),
        ("Seamlessfile:3:21", "unknown variable 'lenghts'"),
        ("Seamlessfile:4:5", "unknown field 'shel' in step 'count'"),
        ("Seamlessfile:7:13", "/abs/path is an absolute path"),
        ("Seamlessfile:7:24", "unknown variable '{m}' in a path"),
        ("Seamlessfile:9:14", "'retries' must be a whole number of at least 0, not '-1'"),
        ("Seamlessfile:10:12", "unknown stage 'fast'"),
        ("Seamlessfile:12:11", "glob pattern 'x' must hold exactly one {placeholder}, it holds 0"),
    ]


def test_errors_in_several_files_are_reported_together(project):
    project.write("c.yaml", "sizes: [1]\n")
    project.write("part.sf", 'step p:\n    shell: "true"\n    captures: o -> /tmp/o\n')
    project.write("Seamlessfile", "config: c.yaml\ninclude: part.sf\nlet s = config.size\n")
    errors = project.check_errors()
    assert [e.where for e in errors] == ["Seamlessfile:3:9", "part.sf:3:15"]


def test_a_syntax_error_stops_only_its_own_file(project):
    project.write("part.sf", "step p\n")
    project.write("Seamlessfile", "include: part.sf\nlet x = nope()\n")
    errors = project.check_errors()
    assert [e.where for e in errors] == ["Seamlessfile:2:9", "part.sf:1:7"]


def test_an_error_repeated_by_every_instance_is_reported_once(project):
    project.write("Seamlessfile", """
        let xs = [1, 2]
        step a for n in range(100):
            shell: "true"
            captures: o -> out/{xs}.txt
        """)
    [error] = project.check_errors()
    assert error.where == "Seamlessfile:4:15"


def test_a_failed_let_or_config_is_not_reported_again_where_it_is_used(project):
    project.write("Seamlessfile", """
        config: missing.yaml
        let sizes = config.sizes
        let seeds = rnage(3)
        step a for n in sizes:
            params: seeds, top = config.top
            shell: "true"
            captures: out/{n}-{seeds}
        step b for s in seeds:
            shell: "true"
            captures: b/{s}
        """)
    errors = project.check_errors()
    assert [(e.where, e.message) for e in errors] == [
        ("Seamlessfile:1:9", "config file missing.yaml not found"),
        ("Seamlessfile:3:13", "unknown function 'rnage'")]


def test_a_bad_config_override_is_a_usage_error(project):
    project.write("Seamlessfile", OK_STEP)
    code, _, err = project.check("--config", "no_equals_sign")
    assert code == 2
    assert "--config no_equals_sign: expected KEY=VALUE" in err
    code, _, err = project.check("--config", "x=[1, 2")
    assert code == 2
    assert "--config x=[1, 2: the value is not valid YAML" in err
    assert "Traceback" not in err
    for key in ("a.", ".a", "a..b"):
        code, _, err = project.check("--config", f"{key}=3")
        assert code == 2
        assert f"--config {key}=3: the key '{key}' has an empty part" in err


def test_a_missing_seamlessfile_is_a_usage_error(project):
    code, _, err = project.check()
    assert code == 2
    assert "no Seamlessfile at" in err


def test_a_python_step_may_take_the_names_of_bash_transformations(project):
    """Its transformation is seamlessflow's own: params and captures are not pins."""
    project.write("in.txt", "x\n")
    project.write("Seamlessfile", '''
        step a:
            inputs: in.txt -> code
            params: RESULT = 1
            metavars: META__n = 2
            python: "open('STDOUT', 'w').write('x')"
            captures: STDOUT -> o
        ''')
    assert list(project.load().instances) == ["a"]
