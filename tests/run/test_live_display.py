"""What `seamlessflow run` shows at a terminal while it runs and when it is over, met
under a pseudo-terminal as a user meets it (tests/pseudo_terminal.py keeps the screen)."""

from __future__ import annotations

import re
import sys
import threading

from pseudo_terminal import Screen, Terminal

HEAD = re.compile(r"(\d+)/(\d+) done · (\d+) running · (\d+) ran · (\d+) cached · "
                  r"(\d+) failed")
# a time as the panel shows it (cli/progress.py format_duration): 0.4s, 42s, 3m05s, 2h07m
DURATION = r"(?:\d+\.\ds|\d+s|\d+m\d\ds|\d+h\d\dm)"


def _workflow(project) -> object:
    """`hold` runs until the test creates the returned flag file; `bad` fails."""
    flag = project.root.parent / "go"
    project.write("Seamlessfile", f"""\
        step pre:
            shell: "echo pre > p.txt"
            captures: p.txt -> pre.txt
        step quick for s in [A, B]:
            inputs: pre.txt
            params: s
            shell: "echo $s > q.txt"
            captures: q.txt -> quick/{{s}}.txt
        step bad:
            shell: "exit 3"
            stdout: bad.txt
        step hold:
            shell: "while [ ! -e {flag} ]; do sleep 0.05; done; echo held > h.txt"
            captures: h.txt
        """)
    return flag


def _counts_cover_the_lines_above(screen: Screen) -> None:
    """Each time the panel's count line is drawn, the instances it counts as ran and
    failed include every `ran` and `FAILED` line printed above it."""
    head = HEAD.match(screen.current)
    if head is None:
        return
    ran, failed = int(head[4]), int(head[6])
    above = screen.above()
    shown_ran = sum(1 for line in above if line.startswith("ran     "))
    shown_failed = sum(1 for line in above if line.startswith("FAILED  "))
    assert shown_ran <= ran and shown_failed <= failed, \
        f"the panel says {ran} ran, {failed} failed under:\n" + "\n".join(above)


def test_the_panel_counts_what_is_done_shows_what_runs_and_the_time_left(project):
    flag = _workflow(project)
    project.sf("run", "pre")
    term = Terminal(project.root, project.cache, "run", "-k", "-j", "4",
                    on_line_end=_counts_cover_the_lines_above)

    def holding(screen: Screen) -> bool:
        """The panel, drawn whole, says the run waits for `hold` alone."""
        row = screen.find(HEAD)
        if row is None or row + 1 >= len(screen.lines):
            return False
        head = re.fullmatch(HEAD.pattern + f" · ETA (<1s|{DURATION})", screen.lines[row])
        return head is not None and head.groups()[:6] == ("4", "5", "1", "2", "1", "1") \
            and re.fullmatch(f"  running hold  {DURATION}", screen.lines[row + 1]) is not None
    try:
        term.wait_for(holding)
    finally:
        flag.touch()
    assert term.finish() == 1
    shown = term.screen.text()
    assert not HEAD.search(shown) and "running hold" not in shown, shown  # the panel is gone
    lines = shown.splitlines()
    assert "FAILED  bad  exit 3" in lines[:4], shown
    assert sorted(line.split()[1] for line in lines[:4] if line.startswith("ran     ")) == [
        "hold", "quick[s=A]", "quick[s=B]"], shown
    assert lines[4:6] == ["--- bad failed: exit 3",
                          f"(full log: {project.root}/.seamlessflow/logs/bad.log)"], shown
    assert re.fullmatch(r"5 instances: 3 ran, 1 cached, 1 failed in \d+\.\d\ds", lines[6])
    assert len(lines) == 7, shown


def test_quiet_shows_only_errors_and_the_summary_and_verbose_each_command(project):
    flag = _workflow(project)
    flag.touch()
    project.sf("run", "-k", check=False)
    term = Terminal(project.root, project.cache, "run", "-q", "-k", "--force", "quick")
    assert term.finish() == 1
    lines = term.screen.text().splitlines()
    assert lines[:3] == ["FAILED  bad  exit 3", "--- bad failed: exit 3",
                         f"(full log: {project.root}/.seamlessflow/logs/bad.log)"], lines
    assert re.fullmatch(r"5 instances: 2 ran, 2 cached, 1 failed in \d+\.\d\ds", lines[3])
    assert len(lines) == 4, lines

    term = Terminal(project.root, project.cache, "run", "-v", "quick[s=B]", "--force")
    assert term.finish() == 0
    shown = term.screen.text()
    assert "quick[s=B]:\n    # inputs: pre.txt\n    export SEAMLESSFLOW_CORES=1\n" in shown, shown
    assert "    export s=B\n    echo $s > q.txt\nran     quick[s=B]  " in shown, shown
    assert "quick[s=A]:" not in shown and "bad:" not in shown, shown


def test_a_run_in_two_rounds_ends_with_one_summary(project):
    """A glob over what a step captures makes the run go in two rounds
    (docs/running.md): the first round's lines stay, its summary is the second's."""
    project.write("input.txt", "a\nb\n")
    project.write("Seamlessfile", """\
        let chunks = glob("chunks/{c}.txt")
        step split:
            inputs: input.txt
            shell: "mkdir chunks; echo a > chunks/1.txt; echo b > chunks/2.txt"
            captures: chunks/
        step per for c in chunks:
            inputs: chunks/{c}.txt -> in.txt
            shell: "tr a-z A-Z < in.txt > out.txt"
            captures: out.txt -> per/{c}.txt
        """)
    term = Terminal(project.root, project.cache, "run")
    assert term.finish() == 0
    lines = term.screen.text().splitlines()
    assert lines[0].startswith("running first what globs list: ")
    assert lines[1].startswith("ran     split  ")
    assert lines[2] == "reading the Seamlessfile again, with the globs matching what they made"
    assert sorted(line.split()[:2] for line in lines[3:5]) == [["ran", "per[c=1]"],
                                                               ["ran", "per[c=2]"]]
    assert re.fullmatch(r"3 instances: 2 ran, 1 cached, 0 failed in \d+\.\d\ds", lines[5])
    assert len(lines) == 6, lines



class _TerminalFile:
    """Stands for a terminal: what is written goes onto `screen`."""

    def __init__(self, screen: Screen):
        self.screen = screen

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.screen.feed(text.replace("\n", "\r\n"))  # as a terminal's line discipline
        return len(text)

    def flush(self) -> None:
        pass


def test_a_redraw_landing_while_a_line_is_written_leaves_the_lines_above_intact(
        monkeypatch):
    """rich redraws the panel from a thread of its own, 8 times a second. One that lands
    after a finished instance's line and the panel under it were drawn, before they are
    written (a loaded machine makes that likely), must wait for that write: drawn in
    between, it moves the cursor by the height of a panel not yet on the screen and
    wipes the lines printed above."""
    from seamlessflow.cli.progress import LiveReporter
    from seamlessflow.scheduling.state import RAN, STARTED, InstanceState

    screen = Screen(24, 120)
    monkeypatch.setattr(sys, "stdout", _TerminalFile(screen))
    reporter = LiveReporter(total=4)
    live, console = reporter.live, reporter.console
    live._refresh_thread.stop()  # the redraws come only when the test says
    live._refresh_thread.join()
    live._refresh_thread = None

    def event(name: str, status: str) -> None:
        state = InstanceState(name, name, {}, "local", status)
        state.duration_s = 0.5
        reporter.on_event(state)

    event("x", STARTED)
    event("x", RAN)
    event("a", STARTED)
    live.refresh()  # the screen: the panel with `a` running
    event("b", STARTED)
    event("c", STARTED)  # not on the screen yet: the panel will grow by a line

    ticks = []
    write_buffer = console._write_buffer

    def tick_then_write() -> None:
        """Before the console writes what it drew, rich's refresh thread ticks (`with
        live._lock: live.refresh()`, in a thread); a tick that would wait is not drawn."""
        def tick() -> None:
            if live._lock.acquire(blocking=False):
                try:
                    live.refresh()
                finally:
                    live._lock.release()
        if console._buffer_index == 0 and not ticks:
            ticks.append(threading.Thread(target=tick))
            ticks[0].start()
            ticks[0].join()
        write_buffer()

    monkeypatch.setattr(console, "_write_buffer", tick_then_write)
    event("a", RAN)
    assert ticks, "the refresh thread was given its chance"
    lines = screen.text().splitlines()
    assert lines[:2] == ["ran     x  0.50s", "ran     a  0.50s"], screen.text()
    head = HEAD.match(lines[2])
    assert head and head.groups() == ("2", "4", "2", "2", "0", "0"), screen.text()
    assert [line.rsplit(None, 1)[0] for line in lines[3:]] == [
        "  running b", "  running c"], screen.text()
    live.stop()
