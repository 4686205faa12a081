"""Per-process "not again before" marks (services/throttle.py), on a caller's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shoplabel.services.throttle import Throttle

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_work_is_due_again_only_after_the_interval() -> None:
    t = Throttle(timedelta(seconds=30))
    assert t.due("k", T0)
    t.hold("k", T0)
    assert not t.due("k", T0 + timedelta(seconds=29))
    assert t.due("k", T0 + timedelta(seconds=30))
    assert t.due("other", T0)  # marks are per key


def test_a_clock_moved_back_makes_the_work_due() -> None:
    """A fake clock reset (a new test database in the same process) must not hide work."""
    t = Throttle(timedelta(seconds=30))
    t.hold("k", T0)
    assert t.due("k", T0 - timedelta(seconds=1))


def test_marks_are_bounded_oldest_first() -> None:
    t = Throttle(timedelta(seconds=30), max_keys=2)
    for key in ("a", "b", "c"):
        t.hold(key, T0)
    assert t.due("a", T0)  # dropped to make room
    assert not t.due("b", T0) and not t.due("c", T0)
