"""Reading YAML: Seamless's configuration files, a workflow's `config:` file, and
`--config KEY=VALUE` values, each through `load_yaml`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seamlessflow.errors import UsageError

ABSENT = object()
MAX_DEPTH = 50  # mappings and lists inside each other
MAX_ALIAS_VALUES = 1_000_000  # values that aliases add when expanded, beyond those written


class YamlRefused(ValueError):
    """Valid YAML whose value is refused. Aliases share one Python object however often
    they are used, so a "billion laughs" document of a few lines loads at once, and then
    grows to gigabytes when a command's parameter or a checksum is made of it."""


def load_yaml(text: str) -> Any:
    """yaml.safe_load, refusing nesting deeper than MAX_DEPTH, aliases that would expand
    to more than MAX_ALIAS_VALUES values beyond those written, and a value that contains
    itself. Raises yaml.YAMLError or YamlRefused."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except RecursionError:  # the parser recurses once per level
        raise YamlRefused(f"it nests values more than {MAX_DEPTH} deep") from None
    measure = _Measure()
    expanded = measure.size(data, 0)
    if expanded - measure.written > MAX_ALIAS_VALUES:
        raise YamlRefused(f"its aliases expand to {expanded:,} values, more than "
                          f"{MAX_ALIAS_VALUES:,} beyond the {measure.written:,} written")
    return data


class _Measure:
    """The size of a loaded value as if every alias were a copy, found in one pass over
    what was really written (each shared list or mapping is sized once)."""

    def __init__(self) -> None:
        self.sizes: dict[int, int | None] = {}  # id -> expanded size; None while inside it
        self.written = 0

    def size(self, value: Any, depth: int) -> int:
        if not isinstance(value, (list, dict)):
            return 1
        key = id(value)
        if key in self.sizes:
            known = self.sizes[key]
            if known is None:
                raise YamlRefused("a value contains itself (an alias to an enclosing anchor)")
            return known
        if depth >= MAX_DEPTH:
            raise YamlRefused(f"it nests values more than {MAX_DEPTH} deep")
        self.sizes[key] = None
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        self.written += 1 + sum(1 for c in children if not isinstance(c, (list, dict)))
        total = 1 + sum(self.size(child, depth + 1) for child in children)
        self.sizes[key] = total
        return total


def read_yaml(path: Path) -> Any:
    """The file's YAML value, or ABSENT when there is no such file. yaml is imported only
    when the file exists: most runs have none of these files, and pay nothing for them."""
    if not path.is_file():
        return ABSENT
    import yaml

    try:
        return load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ABSENT
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    except YamlRefused as exc:
        raise UsageError(f"{path}: refused: {exc}") from None
