"""Reading one of Seamless's YAML configuration files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seamlessflow.errors import UsageError

ABSENT = object()


def read_yaml(path: Path) -> Any:
    """The file's YAML value, or ABSENT when there is no such file. yaml is imported only
    when the file exists: most runs have none of these files, and pay nothing for them."""
    if not path.is_file():
        return ABSENT
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ABSENT
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise UsageError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
