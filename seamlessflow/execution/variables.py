"""The variables a step's command gets: its params and metavars, as the shell sees them.

Light on purpose (no asyncio, no subprocess): `run -p` shows them without executing
anything, and must show exactly what the runners give.
"""

from __future__ import annotations

from typing import Any

import orjson

CORES_VARIABLE = "SEAMLESSFLOW_CORES"
# what OpenMP, and the BLAS and numerical libraries built on it, read for their threads
THREADS_VARIABLE = "OMP_NUM_THREADS"


def command_variables(params: dict[str, Any], metavars: dict[str, Any]) -> dict[str, Any]:
    """Every name the command can read, with its JSON value; a metavar wins over a
    param of the same name."""
    return {**params, **metavars}


def cores_environment(cores: int) -> dict[str, str]:
    """The slots the instance holds, for a multithreaded tool to read: in
    $SEAMLESSFLOW_CORES and in $OMP_NUM_THREADS (a bash step's param or metavar of
    that name wins: see command_environment). Without them a tool either starts a
    thread per CPU beside the other instances or uses one core of the several it holds."""
    return {CORES_VARIABLE: str(cores), THREADS_VARIABLE: str(cores)}


def env_value(value: Any) -> str:
    """How a param looks to bash: what a shell user would type, not Python's repr."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(env_value(item) for item in value)
    return orjson.dumps(value).decode()
