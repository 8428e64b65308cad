"""The variables a step's command gets: its params and metavars, as the shell sees them.

Light on purpose (no asyncio, no subprocess): `run -p` shows them without executing
anything, and must show exactly what the runners give.
"""

from __future__ import annotations

from typing import Any

import orjson


def command_variables(params: dict[str, Any], metavars: dict[str, Any]) -> dict[str, Any]:
    """Every name the command can read, with its JSON value; a metavar wins over a
    param of the same name."""
    return {**params, **metavars}


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
