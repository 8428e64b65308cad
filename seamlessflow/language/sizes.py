"""Amounts of memory as people write them (`4G`, `512M`, `1.5GB`), in bytes.

Units count in 1024s, as memory does: K, M, G and T, each optionally followed by B or
iB, in either case. A bare number is refused: `memory: 4000` could mean bytes or (as
Snakemake's `mem_mb`) megabytes, and a wrong guess either starves or stalls a run.
"""

from __future__ import annotations

import re
from typing import Any

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt])(?:i?b)?\s*", re.IGNORECASE)
EXAMPLES = "4G, 512M or 1.5GB"


def parse_size(text: str) -> int | None:
    """The number of bytes `text` says, rounded up; None when it is no size."""
    match = _SIZE.fullmatch(text)
    if match is None:
        return None
    number, unit = match.groups()
    bytes_ = float(number) * _UNITS[unit.lower()]
    return int(-(-bytes_ // 1)) if bytes_ > 0 else None


def size_value(value: Any) -> int | None:
    """The bytes a Seamlessfile value says (`4G` reads as text); None for no size."""
    return parse_size(value) if isinstance(value, str) else None


def format_size(n: int) -> str:
    """`n` bytes the short way (`8G`, `1.5G`, `300M`)."""
    for unit in "TGMK":
        scale = _UNITS[unit.lower()]
        if n >= scale:
            return f"{n / scale:.4g}{unit}"
    return f"{n}B"
