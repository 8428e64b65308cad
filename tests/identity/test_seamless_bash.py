"""Seamless bash transformations: the checksums `seamless-run` gives, reproduced exactly.

The expected values were measured on the real tool (seamless-suite 1.4.3); the inputs are
real files hashed the way every seamlessflow command hashes them."""

from __future__ import annotations

import orjson

from seamlessflow.identity import seamless_bash as sb
from seamlessflow.identity.checksum import checksum_bytes, checksum_file
from seamlessflow.identity.deep import deep_checksum, deep_index

DATA = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"


def _files(tmp_path):
    (tmp_path / "data.txt").write_bytes(b"hello world\n")
    (tmp_path / "other.txt").write_bytes(b"second file\n")
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / ".hidden").write_bytes(b"")
    (d / "a.txt").write_bytes(b"alpha\n")
    (d / "sub" / "b.txt").write_bytes(b"beta\n")
    return {"data.txt": checksum_file(tmp_path / "data.txt"),
            "other.txt": checksum_file(tmp_path / "other.txt")}, \
        {"d": deep_checksum(deep_index(d))}


def test_worked_example_wc(tmp_path):
    files, _ = _files(tmp_path)
    assert files["data.txt"] == DATA
    tf = sb.build("wc -c data.txt", files={"data.txt": files["data.txt"]})
    code = sb.text_buffer(tf.code)
    assert code == b"(\nwc -c data.txt\n) > RESULT\n" and len(code) == 28
    assert checksum_bytes(code) == \
        "661428ad0deaa197bada396c8d0a67ee3172ec59273971ad1a1d2032ebe939d8"
    assert tf.transformation["code"][2] == checksum_bytes(code)
    assert len(tf.identity_buffer) == 439
    assert checksum_bytes(tf.identity_buffer) == tf.checksum == \
        "55a42f6cb23a8dbcb207d3531dd35ff9b0b4f0c4d0ba6b8ab38781a70f4a1047"
    assert tf.buffers[tf.transformation["code"][2]] == code
    assert not tf.capture_mode
    # the stored result of that transformation: stdout's exact bytes
    assert checksum_bytes(b"12 data.txt\n") == \
        "873fda5a93d2771a991e4e10b5a0c226713bb2da7eeec7024e33f2dca44c7d35"


def test_worked_example_files_and_a_folder(tmp_path):
    files, folders = _files(tmp_path)
    tf = sb.build("grep -rc e data.txt other.txt d", files=files, folders=folders)
    assert tf.checksum == "4c216336a595c80bfe5818511f364501fdd22714754a97dccf321015a1aadc93"
    assert tf.transformation["d"] == ["mixed", None, folders["d"]]
    assert tf.transformation["__format__"]["d"] == sb.FOLDER_FORMAT
    assert tf.transformation["__format__"]["data.txt"] == sb.FILE_FORMAT


def test_worked_example_redirect_capture(tmp_path):
    files, _ = _files(tmp_path)
    tf = sb.build("sort -r data.txt other.txt > out.txt", files=files, targets=["out.txt"])
    assert tf.code == ("mkdir -p RESULT/\nsort -r data.txt other.txt > out.txt\n"
                       "mv out.txt RESULT/\n")
    assert tf.checksum == "deab584eb954b456be53beddcd7c7eff39086b718e96c72bed5987822d98af6e"
    assert tf.capture_mode


def test_whitespace_is_part_of_the_command(tmp_path):
    files, _ = _files(tmp_path)
    one = sb.build("wc -c data.txt", files={"data.txt": files["data.txt"]})
    two = sb.build("wc -c  data.txt", files={"data.txt": files["data.txt"]})
    assert one.checksum != two.checksum


def test_var_is_a_str_pin_in_the_identity():
    tf = sb.build("echo $N", variables={"N": "1"})
    assert tf.transformation["N"] == ["str", None, checksum_bytes(b'"1"\n')]
    assert tf.buffers[checksum_bytes(b'"1"\n')] == b'"1"\n'
    assert "__format__" not in tf.transformation  # only file and folder pins have one
    assert tf.checksum != sb.build("echo $N", variables={"N": "2"}).checksum
    # as orjson writes a string, which is how Seamless serializes a str: UTF-8 kept
    assert sb.str_buffer('é "q"') == '"é \\"q\\""\n'.encode()


def test_metavar_value_is_not_in_the_identity_but_its_name_is():
    one = sb.build("echo $T", metavars={"T": "4"})
    assert one.code == 'export T="${META__T}"\n(\necho $T\n) > RESULT\n'
    assert one.transformation["META__T"] == ["str", None, checksum_bytes(b'"4"\n')]
    assert "META__T" not in orjson.loads(one.identity_buffer)
    assert one.checksum == sb.build("echo $T", metavars={"T": "8"}).checksum
    assert one.checksum != sb.build("echo $T", metavars={"U": "4"}).checksum


def test_capture_folders_targets_and_stdout_in_order():
    tf = sb.build("run", targets=["sub/x.txt", "STDOUT", "outdir", "out.txt"])
    assert tf.code == ("mkdir -p RESULT/sub RESULT/\n(\nrun\n) > STDOUT\n"
                       "mv sub/x.txt RESULT/sub\nmv STDOUT RESULT/\nmv outdir RESULT/\n"
                       "mv out.txt RESULT/\n")
    only_stdout = sb.build("run", targets=["STDOUT"])
    assert only_stdout.capture_mode
    assert only_stdout.code == "mkdir -p RESULT/\n(\nrun\n) > STDOUT\nmv STDOUT RESULT/\n"


def test_local_executable_and_dunders_outside_the_identity():
    tf = sb.build("script.sh data.txt", files={"script.sh": DATA, "data.txt": DATA},
                  executables=["script.sh"])
    assert tf.code.startswith("export PATH=./:$PATH\nchmod +x 'script.sh'\n(\n")
    with_env = dict(tf.transformation, __env__="0" * 64, __meta__={"x": 1})
    assert sb.transformation_checksum(with_env) == tf.checksum
