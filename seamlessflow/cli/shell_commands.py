"""`run -p` (Snakemake's `--printshellcmds`): each command as it will run.

Printed when an instance starts, or in a dry run for each instance that would run:
the variables the command gets (params and metavars, as the runners give them), then
its code as the Seamlessfile has it after dedent. A bash command is printed as bash
that could be pasted into a shell in its workspace; a Python command as Python.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING

from seamlessflow.execution.variables import command_variables, env_value
from seamlessflow.scheduling.state import PENDING, STARTED, WILL_RUN, InstanceState, RunSummary

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.graph.model import Instance


def shown_command(inst: Instance) -> str:
    """The instance's command, its variables first, each line indented under its name."""
    variables = command_variables(inst.params, inst.metavars)
    if inst.language == "bash":
        lines = [f"export {name}={shlex.quote(env_value(value))}"
                 for name, value in variables.items()]
    else:  # the bootstrap binds them as globals with their JSON types
        lines = [f"{name} = {value!r}" for name, value in variables.items()]
    lines.extend(inst.code.rstrip("\n").splitlines())
    head = inst.name if inst.language == "bash" else f"{inst.name} ({inst.language})"
    return head + ":\n" + "\n".join("    " + line if line else "" for line in lines)


class ShellCommandPrinter:
    """A reporter printing each command when its instance starts (in a dry run: when it
    is planned to run)."""

    def __init__(self, dag: Dag, dry_run: bool):
        self.instances = dag.workflow.instances
        self.statuses = (WILL_RUN, PENDING) if dry_run else (STARTED,)

    def on_event(self, state: InstanceState) -> None:
        if state.status in self.statuses:
            # sys.stdout looked up now: a live display redirects it while it runs
            sys.stdout.write(shown_command(self.instances[state.name]) + "\n")

    def on_warning(self, message: str) -> None:
        pass

    def on_finish(self, summary: RunSummary) -> None:
        pass
