"""Bursts of events make one moment to act, once they are over."""

from __future__ import annotations

from seamlessflow.watch.debounce import Debouncer


def test_nothing_pending_means_nothing_to_wait_for():
    assert Debouncer(0.3).remaining(100.0) is None


def test_a_burst_is_due_once_quiet_after_its_last_event():
    d = Debouncer(0.3)
    for i in range(50):  # 50 events over a quarter of a second
        d.add(10.0 + i * 0.005, f"/p/data/f{i}")
    assert d.remaining(10.3) > 0  # still within the quiet time of the last event
    assert d.remaining(10.245 + 0.3) == 0
    assert len(d.take()) == 50
    assert d.remaining(20.0) is None  # taken: one action for the whole burst


def test_events_that_waited_during_a_run_are_one_follow_up():
    d = Debouncer(0.3)
    d.add(5.0, "/p/a.txt")  # seen while a run went on, taken only after it
    d.add(6.0, "/p/a.txt")
    d.add(5.5, "/p/b.txt")  # queued out of order: the latest event counts
    assert d.remaining(6.1) > 0
    assert d.remaining(9.0) == 0
    assert d.take() == ["/p/a.txt", "/p/b.txt"]
