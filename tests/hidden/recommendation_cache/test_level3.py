"""Level 3 — dependency invalidation: named checks for invalidate_title and invalidate_all."""

from __future__ import annotations

import pytest
from rc_support import Scenario


@pytest.mark.clause("L3.1")
def test_invalidate_title_removes_every_entry_that_lists_the_title() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1", "t2"])
    s.call("put", "p2", ["t3", "t1"])
    s.call("put", "p3", ["t3"])
    s.expect("invalidate_title", "t1", expected=2)
    s.expect("get", "p1", expected=None)
    s.expect("get", "p2", expected=None)
    s.expect("get", "p3", expected=("t3",), why="p3 does not list t1")
    s.expect_len(1)


@pytest.mark.clause("L3.1")
def test_invalidate_title_of_an_unknown_title_removes_nothing() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1"])
    s.expect("invalidate_title", "t9", expected=0)
    s.expect("get", "p1", expected=("t1",))


@pytest.mark.clause("L3.1")
def test_an_entry_listing_the_title_twice_counts_once() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1", "t1", "t2"])
    s.expect("invalidate_title", "t1", expected=1)
    s.expect("get", "p1", expected=None)
    s.expect("invalidate_title", "t2", expected=0, why="p1 is already gone")


@pytest.mark.clause("L3.1")
def test_invalidate_title_removes_expired_holders_without_counting_them() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.at(5.0)
    s.call("put", "p2", ["t1"])
    s.at(10.0)  # p1 expired, p2 fresh
    s.expect("invalidate_title", "t1", expected=1, why="only p2 was fresh")
    s.expect_len(0)


@pytest.mark.clause("L3.1")
def test_a_replaced_row_no_longer_ties_the_profile_to_its_old_titles() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1", "t2"])
    s.call("put", "p1", ["t3"])
    s.expect("invalidate_title", "t1", expected=0, why="p1 no longer lists t1")
    s.expect("get", "p1", expected=("t3",))
    s.expect("invalidate_title", "t3", expected=1)


@pytest.mark.clause("L3.1")
@pytest.mark.parametrize("how", ["put", "invalidate"])
def test_a_title_still_reaches_its_other_holders_after_one_holder_lets_it_go(how: str) -> None:
    # L3.1: "removes every entry whose row contains title_id": p2 still lists t1 after p1's row
    # no longer does, whatever removed it from p1.
    s = Scenario()
    s.call("put", "p1", ["t1", "t2"])
    s.call("put", "p2", ["t1"])
    s.call("put", "p3", ["t1", "t3"])
    if how == "put":
        s.call("put", "p1", ["t2"])
    else:
        s.call("invalidate", "p1")
    s.expect("invalidate_title", "t1", expected=2, why="p2 and p3 still list t1")
    s.expect("get", "p2", expected=None)
    s.expect("get", "p3", expected=None)


@pytest.mark.clause("L3.1")
def test_an_invalidated_profile_stored_again_is_not_tied_to_its_old_titles() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1"])
    s.call("invalidate", "p1")
    s.call("put", "p1", ["t2"])
    s.expect("invalidate_title", "t1", expected=0)
    s.expect("get", "p1", expected=("t2",))


@pytest.mark.clause("L3.1")
def test_an_evicted_profile_stored_again_is_not_tied_to_its_old_titles() -> None:
    s = Scenario(capacity=1)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])  # evicts p1
    s.call("put", "p1", ["t3"])  # evicts p2
    s.expect("invalidate_title", "t1", expected=0)
    s.expect("invalidate_title", "t2", expected=0)
    s.expect("get", "p1", expected=("t3",))


@pytest.mark.clause("L3.1")
def test_a_profile_whose_expired_entry_was_dropped_is_not_tied_to_its_old_titles() -> None:
    s = Scenario(capacity=1, ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.at(10.0)
    s.call("put", "p2", ["t2"])  # drops the expired p1
    s.call("invalidate", "p2")
    s.call("put", "p1", ["t3"])
    s.expect("invalidate_title", "t1", expected=0)
    s.expect("get", "p1", expected=("t3",))


@pytest.mark.clause("L3.1")
def test_a_profile_removed_by_title_keeps_working() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1", "t2"])
    s.call("invalidate_title", "t1")
    s.call("put", "p1", ["t3"])
    s.expect("invalidate_title", "t2", expected=0)
    s.expect("get", "p1", expected=("t3",))
    s.expect("invalidate", "p1", expected=True)


@pytest.mark.clause("L3.3")
def test_invalidate_all_removes_every_entry() -> None:
    s = Scenario()
    for i in range(5):
        s.call("put", f"p{i}", [f"t{i}"])
    s.call("invalidate_all")
    s.expect_len(0)
    for i in range(5):
        s.expect("get", f"p{i}", expected=None)
    s.expect("invalidate", "p0", expected=False)


@pytest.mark.clause("L3.3")
def test_the_cache_works_normally_after_invalidate_all() -> None:
    s = Scenario(capacity=2)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t1"])
    s.call("invalidate_all")
    s.call("put", "p1", ["t2"])
    s.call("put", "p3", ["t3"])
    s.expect("invalidate_title", "t1", expected=0, why="no entry lists t1 any more")
    s.expect("get", "p1", expected=("t2",))
    s.expect("get", "p3", expected=("t3",))
    s.expect_len(2)
