"""Starter tests: extend them. A fake clock makes every time-dependent test exact."""

from __future__ import annotations

from solution import RecommendationCache


class FakeClock:
    """A clock the test moves by hand: `clock.now = 5.0`."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_stored_row_is_returned_as_a_tuple_while_fresh() -> None:
    cache = RecommendationCache(capacity=4, ttl=10.0, clock=FakeClock())
    cache.put("p1", ["t1", "t2"])
    assert cache.get("p1") == ("t1", "t2")


def test_an_entry_is_expired_exactly_at_stored_time_plus_ttl() -> None:
    clock = FakeClock(100.0)
    cache = RecommendationCache(capacity=4, ttl=10.0, clock=clock)
    cache.put("p1", ["t1"])
    clock.now = 109.5
    assert cache.get("p1") == ("t1",)
    clock.now = 110.0
    assert cache.get("p1") is None


def test_an_empty_row_is_a_cached_value_not_a_miss() -> None:
    cache = RecommendationCache(capacity=4, ttl=10.0, clock=FakeClock())
    cache.put("p1", [])
    assert cache.get("p1") == ()


def test_changing_the_callers_list_after_put_does_not_change_the_entry() -> None:
    cache = RecommendationCache(capacity=4, ttl=10.0, clock=FakeClock())
    titles = ["t1"]
    cache.put("p1", titles)
    titles.append("t2")
    assert cache.get("p1") == ("t1",)


def test_invalidate_reports_whether_a_fresh_entry_was_removed() -> None:
    cache = RecommendationCache(capacity=4, ttl=10.0, clock=FakeClock())
    cache.put("p1", ["t1"])
    assert cache.invalidate("p1") is True
    assert cache.invalidate("p1") is False
    assert cache.get("p1") is None
