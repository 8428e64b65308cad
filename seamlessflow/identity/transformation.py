"""The transformation dict: seamlessflow's identity of one step instance.

Everything that can change a step's result goes in (code, inputs, params, what is
captured), nothing else does, so equal dicts mean a cached result can be reused.
"""

from __future__ import annotations

from seamlessflow.identity.checksum import checksum_value

FORMAT = "seamlessflow/2"
# The key of captured standard output in a result mapping (PROTOCOL.md).
STDOUT_KEY = "<stdout>"


def build_transformation(
    language: str,
    code_checksum: str,
    inputs: dict[str, str],
    params: dict,
    captures: list[str],
    stdout: bool,
) -> dict:
    """Input keys lose any trailing "/" (a directory input is known by its deep
    checksum already); capture entries keep theirs, because capturing `out` as a file
    or as a directory gives different results."""
    return {
        "__language__": language,
        "__format__": FORMAT,
        "code": code_checksum,
        "inputs": {key.rstrip("/"): value for key, value in inputs.items()},
        "params": dict(params),
        "captures": sorted(captures),
        "stdout": bool(stdout),
    }


def transformation_checksum(tf: dict) -> str:
    return checksum_value(tf)
