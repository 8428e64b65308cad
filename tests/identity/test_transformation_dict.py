"""A Python step's transformation dict: seamlessflow's own format (a shell step's is a
Seamless bash transformation: test_shell_step.py), with PROTOCOL.md's checksum."""

from __future__ import annotations

import hashlib
import json

from seamlessflow.identity.transformation import build_transformation, transformation_checksum

CODE = hashlib.sha256(b"wc -l < in > out\n").hexdigest()
DEEP = hashlib.sha256(b"deep").hexdigest()
FILE = hashlib.sha256(b"file").hexdigest()


def test_shape_follows_the_protocol():
    tf = build_transformation("python", CODE, {"corpus/": DEEP, "tokens.txt": FILE},
                              {"n": 3}, ["z.txt", "counts/", "a.txt"], False)
    assert tf == {
        "__language__": "python",
        "__format__": "seamlessflow/2",
        "code": CODE,
        "inputs": {"corpus": DEEP, "tokens.txt": FILE},
        "params": {"n": 3},
        "captures": ["a.txt", "counts/", "z.txt"],
        "stdout": False,
    }
    text = json.dumps(tf, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert transformation_checksum(tf) == hashlib.sha256(text.encode()).hexdigest()


def test_every_ingredient_changes_the_identity():
    base = dict(language="python", code_checksum=CODE, inputs={"a": FILE}, params={"n": 1},
                captures=["out"], stdout=False)
    variants = [dict(base, language="bash"), dict(base, code_checksum=DEEP),
                dict(base, inputs={"a": DEEP}), dict(base, inputs={"b": FILE}),
                dict(base, params={"n": 2}), dict(base, captures=["out/"]),
                dict(base, stdout=True)]
    ids = {transformation_checksum(build_transformation(**v)) for v in [base, *variants]}
    assert len(ids) == len(variants) + 1
