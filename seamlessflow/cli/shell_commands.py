"""`run -p` (Snakemake's `--printshellcmds`): each command as it will run.

Printed when an instance starts, or in a dry run for each instance that would run:
its inputs (a comment), the variables the command gets (the slots it holds in
$SEAMLESSFLOW_CORES and $OMP_NUM_THREADS, then its params and metavars, as every
runner gives them), then its code as the Seamlessfile has it after dedent. A bash
command is printed as bash that could be pasted into a shell in its workspace; a
Python command as Python.
"""

from __future__ import annotations

import shlex
import sys
from typing import TYPE_CHECKING

from seamlessflow.execution.variables import command_variables, cores_environment, env_value
from seamlessflow.scheduling.slots import slot_count
from seamlessflow.scheduling.state import PENDING, STARTED, WILL_RUN, InstanceState, RunSummary

if TYPE_CHECKING:
    from seamlessflow.graph.dag import Dag
    from seamlessflow.graph.model import Instance

MAX_INPUTS = 10  # inputs named in full; a sweep over a folder can give thousands


def shown_command(inst: Instance, cores: int) -> str:
    """The instance's command, its variables first, each line indented under its name;
    `cores`: the slots it holds."""
    variables = command_variables(inst.params, inst.metavars)
    environment = cores_environment(cores)
    lines = [_inputs_comment(inst)] if inst.inputs else []
    if inst.language == "bash":
        lines += [f"export {name}={shlex.quote(env_value(value))}"
                  for name, value in {**environment, **variables}.items()]
    else:  # the bootstrap binds them as globals with their JSON types
        lines.append("# environment: " + " ".join(f"{k}={v}" for k, v in environment.items()))
        lines += [f"{name} = {value!r}" for name, value in variables.items()]
    lines.extend(inst.code.rstrip("\n").splitlines())
    head = inst.name if inst.language == "bash" else f"{inst.name} ({inst.language})"
    return head + ":\n" + "\n".join("    " + line if line else "" for line in lines)


def _inputs_comment(inst: Instance) -> str:
    """What the workspace holds, as the Seamlessfile says it (`PROJECT -> WORKSPACE`); the
    first few of a long list."""
    shown = [i.project_path if i.project_path == i.workspace_path
             else f"{i.project_path} -> {i.workspace_path}" for i in inst.inputs[:MAX_INPUTS]]
    if len(inst.inputs) > MAX_INPUTS:
        shown.append(f"... and {len(inst.inputs) - MAX_INPUTS} more")
    return "# inputs: " + ", ".join(shown)


class ShellCommandPrinter:
    """A reporter printing each command when its instance starts (in a dry run: when it
    is planned to run)."""

    def __init__(self, dag: Dag, dry_run: bool, jobs: int):
        self.instances = dag.workflow.instances
        self.statuses = (WILL_RUN, PENDING) if dry_run else (STARTED,)
        self.jobs = jobs

    def on_event(self, state: InstanceState) -> None:
        if state.status in self.statuses:
            inst = self.instances[state.name]
            # sys.stdout looked up now: a live display redirects it while it runs
            sys.stdout.write(shown_command(inst, slot_count(inst, self.jobs)) + "\n")

    def on_warning(self, message: str) -> None:
        pass

    def on_finish(self, summary: RunSummary) -> None:
        pass
