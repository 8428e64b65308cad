"""`config: FILE.yaml`, `config.KEY` lookups and `--config KEY=VALUE` overrides.

Overrides are parsed as YAML so that `--config sizes=[7]` is a list and `--config n=3`
a number, as they would be in the file; a dotted key sets a nested value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seamlessflow.config.yaml_file import YamlRefused, load_yaml
from seamlessflow.errors import Diagnostic, SourcePos, UsageError
from seamlessflow.language.source_text import read_source


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """`["a.b=3", "name=x"]` -> `{"a": {"b": 3}, "name": "x"}`."""
    if not items:
        return {}
    import yaml

    result: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--config {item}: expected KEY=VALUE (e.g. --config threshold=0.5)")
        if "" in key.split("."):
            raise UsageError(f"--config {item}: the key {key!r} has an empty part; a dotted "
                             "key names nested keys, e.g. --config plot.width=40")
        try:
            value = load_yaml(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise UsageError(f"--config {item}: the value is not valid YAML ({_first_line(exc)})")\
                from None
        except YamlRefused as exc:
            raise UsageError(f"--config {item}: the value is refused: {exc}") from None
        set_dotted(result, key.split("."), value)
    return result


def set_dotted(mapping: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        inner = mapping.get(key)
        if not isinstance(inner, dict):
            inner = mapping[key] = {}
        mapping = inner
    mapping[keys[-1]] = value


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Overrides replace leaves and merge into nested mappings."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config_file(path: Path, pos: SourcePos
                     ) -> tuple[dict[str, Any] | None, str | None, Diagnostic | None]:
    """(the YAML mapping in `path`, the checksum of its bytes, None), or a diagnostic as
    the last item: at the `config:` line for a missing file, at the YAML problem's own
    line and column for a malformed one."""
    import yaml

    try:
        text, checksum = read_source(path)
    except FileNotFoundError:
        return None, None, Diagnostic(pos, f"config file {path.name} not found",
                                      f"looked for {path}")
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, Diagnostic(pos, f"cannot read config file {path}: {exc}")
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = pos if mark is None else SourcePos(str(path), mark.line + 1, mark.column + 1)
        return None, None, Diagnostic(where, f"invalid YAML in {path.name}: "
                                             f"{_first_line(exc)}")
    except YamlRefused as exc:
        return None, None, Diagnostic(pos, f"config file {path.name} is refused: {exc}",
                                      "write the values out, with fewer aliases and levels")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, None, Diagnostic(pos, f"config file {path.name} must hold a YAML "
                                           f"mapping (KEY: VALUE lines), not a "
                                           f"{type(data).__name__}")
    return data, checksum, None


def _first_line(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem or exc).splitlines()[0]
