"""A `shell:` step instance as a Seamless bash transformation, and its result as the
step's captures.

A step's identity is the transformation `seamless-run` would build for the same
command on the same inputs (identity/seamless_bash.py), so that a result either tool
computed is the other's cache hit. Its result is what Seamless records: stdout's bytes
when the step captures nothing but `stdout:`, else the deep mapping of the files under
RESULT (`STDOUT` being stdout). The scheduler reads that result through a *view*, one
checksum per thing the step writes: a file capture is one leaf of the mapping, a folder
capture the sub-mapping under its name (the deep checksum of that folder), stdout is
`STDOUT_KEY`. Downstream inputs and project outputs are then the same as for any step.

Pure: checksums in, dicts and buffers out.
"""

from __future__ import annotations

from functools import lru_cache

from seamlessflow.errors import SeamlessflowError
from seamlessflow.execution.variables import env_value
from seamlessflow.graph.pin_names import pin_clashes
from seamlessflow.identity.checksum import checksum_bytes, plain_serialize
from seamlessflow.identity.seamless_bash import STDOUT, BashTransformation, build
from seamlessflow.identity.transformation import STDOUT_KEY


class PinNameError(SeamlessflowError):
    """An input, param, metavar or capture whose name the bash transformation already
    uses (graph/pin_names.py). Reading the workflow refuses those at their position;
    this guards an identity built from an instance made otherwise."""


def shell_transformation(code: str, inputs: list[tuple[str, str, bool]], params: dict,
                         metavars: dict, captures: list[tuple[str, bool]],
                         stdout: bool) -> BashTransformation:
    """The transformation of one `shell:` instance.

    inputs: (workspace path, checksum, is a folder); params and metavars as the step
    gives them (the command sees each as `$name`, the text execution/variables.py
    `env_value` makes of it); captures: (workspace path, is a folder), in the order
    declared, which is the order of the code's `mv` lines."""
    clashes = pin_clashes([path for path, _, _ in inputs], params, metavars,
                          [path for path, _ in captures], stdout)
    if clashes:
        raise PinNameError(f"{clashes[0].message}; {clashes[0].hint}")
    files = {path: cs for path, cs, is_dir in inputs if not is_dir}
    folders = {path: cs for path, cs, is_dir in inputs if is_dir}
    targets = [path for path, _ in captures]
    if targets and stdout:
        targets.append(STDOUT)
    return build(_command(code), files=files, folders=folders,
                 variables={k: env_value(v) for k, v in params.items()},
                 metavars={k: env_value(v) for k, v in metavars.items()}, targets=targets)


@lru_cache(maxsize=256)
def _command(code: str) -> str:
    """The step's code as the command of the code text: trailing newlines go, as a
    command typed to `seamless-run` has none (the code text adds its own)."""
    return code.rstrip("\n")


def job_captures(captures: list[tuple[str, bool]], stdout: bool) -> list[str]:
    """The targets a Job lists, in the order of the code's `mv` lines: each capture's
    workspace path (a folder's with "/"), then STDOUT when stdout is captured beside
    them; none in stdout mode."""
    targets = [path + "/" if is_dir else path for path, is_dir in captures]
    return targets + [STDOUT] if targets and stdout else targets


def captures_view(keys: list[tuple[str, bool]], result: str, index: dict[str, str] | None
                  ) -> tuple[dict[str, str], dict[str, bytes]]:
    """The view of a result: (key -> checksum, the folders' index buffers by checksum).

    keys: each capture's key (its workspace path, a folder's with `/`) and whether it is
    a folder, and STDOUT_KEY for stdout. `index` is the capture-mode mapping (None in
    stdout mode, where the result is stdout itself). A folder's index buffer is the
    sub-mapping under its name: a store must hold it for a workspace or the project to
    rebuild the folder from its checksum. StoreError-free: a result lacking a capture
    raises SeamlessflowError (a recorded result of another shape)."""
    if index is None:
        return {STDOUT_KEY: result}, {}
    view: dict[str, str] = {}
    buffers: dict[str, bytes] = {}
    for key, is_dir in keys:
        name = STDOUT if key == STDOUT_KEY else key.rstrip("/")
        if not is_dir:
            checksum = index.get(name)
            if checksum is None:
                raise SeamlessflowError(f"the recorded result holds no {name}")
            view[key] = checksum
            continue
        prefix = name + "/"
        sub = {path[len(prefix):]: cs for path, cs in index.items() if path.startswith(prefix)}
        buffer = plain_serialize(sub)
        checksum = checksum_bytes(buffer)
        buffers[checksum] = buffer
        view[key] = checksum
    return view, buffers


def result_of_files(view: dict[str, str]) -> str:
    """The result checksum a capture-mode view of files only (no folder) stands for:
    the mapping rebuilt from the view, without reading any buffer."""
    mapping = {STDOUT if key == STDOUT_KEY else key: cs for key, cs in view.items()}
    return checksum_bytes(plain_serialize(mapping))
