"""A `shell:` step instance is the Seamless bash transformation `seamless-run` builds for
the same command, and its result is read back capture by capture."""

from __future__ import annotations

import pytest

from seamlessflow.identity.checksum import checksum_bytes, plain_serialize
from seamlessflow.identity.shell_step import (
    PinNameError,
    captures_view,
    result_of_files,
    shell_transformation,
)
from seamlessflow.identity.transformation import STDOUT_KEY

DATA = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"  # hello world\n
OTHER = checksum_bytes(b"second file\n")


def test_a_step_running_wc_is_the_worked_example_of_seamless_run():
    """`seamless-run 'wc -c data.txt'` measured: 55a42f6c... (SEAMLESS-RUN.md)."""
    tf = shell_transformation("wc -c data.txt\n", [("data.txt", DATA, False)], {}, {}, [],
                              True)
    assert tf.checksum == "55a42f6cb23a8dbcb207d3531dd35ff9b0b4f0c4d0ba6b8ab38781a70f4a1047"
    assert not tf.capture_mode


def test_a_step_capturing_a_redirect_is_the_measured_sort_example():
    tf = shell_transformation("sort -r data.txt other.txt > out.txt",
                              [("data.txt", DATA, False), ("other.txt", OTHER, False)], {}, {},
                              [("out.txt", False)], False)
    assert tf.checksum == "deab584eb954b456be53beddcd7c7eff39086b718e96c72bed5987822d98af6e"
    assert tf.code.endswith("mv out.txt RESULT/\n")


def test_params_are_str_pins_of_the_text_the_command_sees():
    """A param 3 is `--var n=3`; a list is the words bash sees."""
    three = shell_transformation("head -n $n data.txt", [("data.txt", DATA, False)],
                                 {"n": 3}, {}, [], True)
    assert three.transformation["n"] == ["str", None, checksum_bytes(b'"3"\n')]
    words = shell_transformation("echo $w", [], {"w": ["a", "b"]}, {}, [], True)
    assert words.transformation["w"][2] == checksum_bytes(b'"a b"\n')


def test_metavar_values_stay_out_of_the_identity_but_their_names_do_not():
    def tf(metavars):
        return shell_transformation("echo hi", [], {}, metavars, [], True).checksum

    assert tf({"threads": 4}) == tf({"threads": 8}) != tf({}) != tf({"cores": 4})


def test_stdout_beside_captures_is_the_STDOUT_target_and_order_counts():
    both = shell_transformation("cp a b; cat a", [("a", DATA, False)], {}, {},
                                [("b", False)], True)
    assert both.capture_mode
    assert both.code == "mkdir -p RESULT/\n(\ncp a b; cat a\n) > STDOUT\n" \
                        "mv b RESULT/\nmv STDOUT RESULT/\n"
    one = shell_transformation("mkdir -p o; cp a b", [("a", DATA, False)], {}, {},
                               [("b", False), ("o", True)], False)
    other = shell_transformation("mkdir -p o; cp a b", [("a", DATA, False)], {}, {},
                                 [("o", True), ("b", False)], False)
    assert one.checksum != other.checksum


@pytest.mark.parametrize("inputs, params, metavars, captures, stdout, clash", [
    ([("code", DATA, False)], {}, {}, [("o", False)], False, "input 'code'"),
    ([("RESULT/x", DATA, False)], {}, {}, [("o", False)], False, "input 'RESULT/x'"),
    ([("n", DATA, False)], {"n": 1}, {}, [("o", False)], False, "param 'n' has the name"),
    ([], {"META__x": 1}, {}, [("o", False)], False, "param 'META__x'"),
    ([], {}, {"META__t": 1}, [("o", False)], False, "metavar 'META__t'"),
    ([], {}, {}, [("RESULT", False)], False, "capture 'RESULT'"),
    ([], {}, {}, [("STDOUT", False)], True, "capture 'STDOUT'"),
    ([], {}, {}, [("STDOUT", False)], False, "capture 'STDOUT'"),
    ([], {}, {}, [("a b", False)], False, "capture 'a b' cannot be moved"),
])
def test_a_name_the_transformation_uses_itself_is_refused(inputs, params, metavars, captures,
                                                           stdout, clash):
    with pytest.raises(PinNameError, match=clash.replace("(", r"\(")):
        shell_transformation("true", inputs, params, metavars, captures, stdout)


def test_the_view_of_a_result_reads_files_folders_and_stdout():
    index = {"STDOUT": OTHER, "out.txt": DATA, "d/a.txt": DATA, "d/s/b.txt": OTHER}
    result = checksum_bytes(plain_serialize(index))
    view, buffers = captures_view([("out.txt", False), ("d/", True), (STDOUT_KEY, False)],
                                  result, index)
    sub = plain_serialize({"a.txt": DATA, "s/b.txt": OTHER})
    assert view == {"out.txt": DATA, "d/": checksum_bytes(sub), STDOUT_KEY: OTHER}
    assert buffers == {checksum_bytes(sub): sub}
    # stdout mode: the result is stdout itself
    assert captures_view([(STDOUT_KEY, False)], DATA, None) == ({STDOUT_KEY: DATA}, {})


def test_a_view_of_files_alone_proves_the_result_without_reading_it():
    index = {"STDOUT": OTHER, "out.txt": DATA}
    assert result_of_files({"out.txt": DATA, STDOUT_KEY: OTHER}) == \
        checksum_bytes(plain_serialize(index))
