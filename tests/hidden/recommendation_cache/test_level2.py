"""Level 2 — bounded size: one named check per clause, plus a property."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rc_support import Scenario


def _present(s: Scenario, profiles: list[str]) -> list[str]:
    """The profiles whose get hits (note: each hit is a use)."""
    return [p for p in profiles if s.call("get", p) is not None]


@pytest.mark.clause("L2.1")
@given(capacity=st.integers(min_value=1, max_value=6), extra=st.integers(min_value=1, max_value=6))
@example(capacity=1, extra=1)
def test_putting_more_profiles_than_capacity_keeps_exactly_capacity_of_them(
    capacity: int, extra: int
) -> None:
    s = Scenario(capacity=capacity, ttl=10.0)
    profiles = [f"p{i}" for i in range(capacity + extra)]
    for p in profiles:
        s.call("put", p, [f"t-{p}"])
    s.expect_len(capacity)
    present = _present(s, profiles)
    if len(present) != capacity:
        s.fail(f"expected {capacity} profiles to hit, got {len(present)}: {present}")


@pytest.mark.clause("L2.3")
def test_the_least_recently_put_entry_is_evicted_when_nothing_was_read() -> None:
    s = Scenario(capacity=2, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.call("put", "p3", ["t3"])
    s.expect("get", "p1", expected=None, why="p1 was the least recently used")
    s.expect("get", "p2", expected=("t2",))
    s.expect("get", "p3", expected=("t3",))


@pytest.mark.clause("L2.2")
def test_an_expired_entry_is_dropped_before_a_fresh_one_is_evicted() -> None:
    s = Scenario(capacity=2, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.at(5.0)
    s.call("put", "p2", ["t2"])
    s.at(6.0)
    s.expect("get", "p1", expected=("t1",))  # p1 becomes the most recently used
    s.at(10.0)  # p1 expires; p2 (fresh) is now the least recently used
    s.call("put", "p3", ["t3"])
    s.expect("get", "p2", expected=("t2",), why="the expired p1 must go before the fresh p2")
    s.expect("get", "p3", expected=("t3",))
    s.expect_len(2)


@pytest.mark.clause("L2.2")
def test_expired_entries_make_room_for_several_new_profiles() -> None:
    s = Scenario(capacity=3, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.at(4.0)
    s.call("put", "p3", ["t3"])
    s.at(10.0)  # p1 and p2 expire, p3 stays fresh
    s.call("put", "p4", ["t4"])
    s.call("put", "p5", ["t5"])
    s.expect("get", "p3", expected=("t3",), why="two expired entries made room for p4 and p5")
    s.expect_len(3)


@pytest.mark.clause("L2.3")
def test_a_get_that_hits_makes_the_entry_recently_used() -> None:
    s = Scenario(capacity=2, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.expect("get", "p1", expected=("t1",))
    s.call("put", "p3", ["t3"])
    s.expect("get", "p2", expected=None, why="p2 was used less recently than p1")
    s.expect("get", "p1", expected=("t1",))


@pytest.mark.clause("L2.3")
def test_a_put_that_replaces_makes_the_entry_recently_used() -> None:
    s = Scenario(capacity=2, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.call("put", "p1", ["t1b"])
    s.call("put", "p3", ["t3"])
    s.expect("get", "p2", expected=None, why="p2 was used less recently than p1")
    s.expect("get", "p1", expected=("t1b",))


@pytest.mark.clause("L2.3")
def test_len_and_invalidate_of_another_profile_are_not_uses() -> None:
    s = Scenario(capacity=2, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.call("__len__")
    s.call("invalidate", "p9")
    s.call("put", "p3", ["t3"])
    s.expect("get", "p1", expected=None, why="p1 was the least recently used")
    s.expect("get", "p2", expected=("t2",))


@pytest.mark.clause("L2.4")
def test_replacing_an_entry_in_a_full_cache_evicts_nothing() -> None:
    s = Scenario(capacity=2, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.call("put", "p2", ["t2b"])
    s.expect("get", "p1", expected=("t1",), why="replacing p2 must not evict p1")
    s.call("put", "p2", ["t2c"])
    s.call("put", "p1", ["t1b"])
    s.expect("get", "p2", expected=("t2c",), why="replacing p1 must not evict p2")
    s.expect("get", "p1", expected=("t1b",))
    s.expect_len(2)


@pytest.mark.clause("L2.4")
def test_a_capacity_of_one_keeps_only_the_latest_profile() -> None:
    s = Scenario(capacity=1, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p1", ["t1b"])
    s.expect("get", "p1", expected=("t1b",))
    s.call("put", "p2", ["t2"])
    s.expect("get", "p1", expected=None)
    s.expect("get", "p2", expected=("t2",))
    s.expect_len(1)
