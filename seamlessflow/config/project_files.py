"""`seamless.yaml` (committed) and `seamless.profile.yaml` (local): a YAML list of
one-key commands, e.g. `- cluster: NAME`, `- execution: process`, and `- stage NAME:`
whose value is a list of the same commands for that stage only (PROTOCOL.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seamlessflow.config.yaml_file import ABSENT, read_yaml
from seamlessflow.errors import UsageError
from seamlessflow.graph.model import EXECUTIONS, MAX_WORKERS, REMOTES, StageSettings
from seamlessflow.language.suggest import did_you_mean

FILES = ("seamless.yaml", "seamless.profile.yaml")
_COMMANDS = ("project", "cluster", "execution", "remote", "workers", "stage")


@dataclass
class ProjectSettings:
    project: str | None = None
    default: StageSettings = field(default_factory=StageSettings)
    stages: dict[str, StageSettings] = field(default_factory=dict)


def load_project_file(path: Path) -> ProjectSettings:
    """The settings of one file; an absent file sets nothing."""
    settings = ProjectSettings()
    data = read_yaml(path)
    if data is ABSENT:
        return settings
    for key, value, where in _commands(path, data, str(path)):
        if key.startswith("stage "):
            name = key[len("stage "):].strip()
            stage = settings.stages.setdefault(name, StageSettings())
            for inner_key, inner, inner_where in _commands(path, value, f"{where}"):
                if inner_key.startswith("stage ") or inner_key == "project":
                    raise UsageError(f"{inner_where}: '{inner_key}' cannot be set per stage")
                _apply(stage, inner_key, inner, inner_where)
        elif key == "project":
            if not isinstance(value, str) or not value:
                raise UsageError(f"{where}: project must be a name, not {value!r}")
            settings.project = value
        else:
            _apply(settings.default, key, value, where)
    return settings


def _commands(path: Path, data: Any, where: str) -> list[tuple[str, Any, str]]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise UsageError(f"{where}: expected a list of one-key commands (- cluster: NAME)")
    out = []
    for index, entry in enumerate(data):
        at = f"{where}: item {index + 1}"
        if not isinstance(entry, dict) or len(entry) != 1:
            raise UsageError(f"{at}: expected one KEY: VALUE, like '- execution: process'")
        (key, value), = entry.items()
        key = str(key)
        if key.split(" ", 1)[0] not in _COMMANDS:
            raise UsageError(f"{at}: unknown command '{key}'{did_you_mean(key, _COMMANDS)}")
        out.append((key, value, f"{at} ({key})"))
    return out


def _apply(stage: StageSettings, key: str, value: Any, where: str) -> None:
    stage.at[key] = where
    if key == "execution":
        if value not in EXECUTIONS:
            raise UsageError(f"{where}: execution must be one of {', '.join(EXECUTIONS)}"
                             f"{did_you_mean(str(value), EXECUTIONS)}")
        stage.execution = value
    elif key == "remote":
        if value not in REMOTES:
            raise UsageError(f"{where}: remote must be one of {', '.join(REMOTES)}"
                             f"{did_you_mean(str(value), REMOTES)}")
        stage.remote = value
    elif key == "cluster":
        stage.cluster = str(value)
    elif key == "workers":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKERS:
            raise UsageError(f"{where}: workers must be a whole number of at least 1 and at "
                             f"most {MAX_WORKERS:,}")
        stage.workers = value
