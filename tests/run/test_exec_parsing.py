"""`seamlessflow exec`'s reading of a command line never fails with anything but a usage
error: bashlex fails in many ways on odd input, and a user must see a message, not a
traceback."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seamlessflow.cli.exec_args import plan_command
from seamlessflow.errors import UsageError

SHELL_TEXT = st.text(alphabet="ab.txt |&;<>()$`'\"\\{}[]!*?~=#\n- 012/", min_size=1,
                     max_size=24)


@settings(max_examples=400, deadline=None)
@given(SHELL_TEXT)
def test_any_command_line_is_planned_or_refused_plainly(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("empty")
    try:
        plan = plan_command([text], [], cwd=folder)
    except UsageError:
        return
    assert plan.command.strip()
