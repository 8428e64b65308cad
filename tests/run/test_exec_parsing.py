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


PLAIN_TEXT = st.lists(
    st.sampled_from(["wc", "-c", "data.txt", "$n", "a$n", "x=1", "--opt=v", "d/", "./a.sh",
                     "1.5", "-", "a,b", "u@h:p", "50%", "+x", "if", "time", "for", "==",
                     "_N=", "do"]),
    min_size=1, max_size=6,
).map(lambda words: " ".join(words))


@settings(max_examples=400, deadline=None)
@given(PLAIN_TEXT, st.sampled_from([" ", "  "]))
def test_plain_commands_read_without_bashlex_as_bashlex_reads_them(text, space):
    """The shortcut that spares plain commands the import of bashlex gives bashlex's words
    and positions, and declines whatever bashlex would read otherwise."""
    from seamlessflow.cli.exec_args import parse, plain_words

    text = text.replace(" ", space)
    plain = plain_words(text)
    if plain is None:
        return
    commands, redirect = parse(text)
    assert redirect is None and len(commands) == 1
    assert [(w.word, tuple(w.pos)) for w in commands[0]] == \
        [(w.word, tuple(w.pos)) for w in plain]
