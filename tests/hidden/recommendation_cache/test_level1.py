"""Level 1 — TTL and explicit invalidation: one named check per clause, plus properties."""

from __future__ import annotations

import math
from collections import UserList

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rc_support import Scenario, repro_message, same_value
from solution import RecommendationCache

TITLE_IDS = st.text(alphabet="abcxyz0123-", min_size=1, max_size=6)
ROWS = st.lists(TITLE_IDS, min_size=1, max_size=12)
"""Non-empty: that an empty row is a value, not a miss, is L1.7's check."""
# Exact binary fractions, so that s + ttl is computed without rounding (see the statement).
QUARTERS = st.integers(min_value=1, max_value=400).map(lambda n: n / 4)


# L1.1 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize("capacity", [0, -1])
def test_a_capacity_below_one_is_rejected(capacity: int) -> None:
    try:
        RecommendationCache(capacity, 10.0)
    except ValueError:
        return
    except Exception as error:
        raise AssertionError(repro_message(
            f"expected ValueError, got {type(error).__name__}: {error}",
            f"from solution import RecommendationCache\nRecommendationCache({capacity!r}, 10.0)",
        )) from error
    raise AssertionError(repro_message(
        "expected ValueError, got a cache",
        f"from solution import RecommendationCache\nRecommendationCache({capacity!r}, 10.0)",
    ))


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize("ttl", [0, 0.0, -1.0, math.inf, -math.inf, math.nan])
def test_a_ttl_that_is_not_a_finite_positive_number_is_rejected(ttl: float) -> None:
    shown = {math.inf: 'float("inf")', -math.inf: 'float("-inf")'}.get(ttl, repr(ttl))
    if isinstance(ttl, float) and math.isnan(ttl):
        shown = 'float("nan")'
    snippet = f"from solution import RecommendationCache\nRecommendationCache(8, {shown})"
    try:
        RecommendationCache(8, ttl)
    except ValueError:
        return
    except Exception as error:
        raise AssertionError(repro_message(
            f"expected ValueError, got {type(error).__name__}: {error}", snippet)) from error
    raise AssertionError(repro_message("expected ValueError, got a cache", snippet))


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize(
    ("capacity", "ttl"), [("10", 1.0), (1.5, 1.0), (8, "10"), (True, 1.0), (8, True)])
def test_a_capacity_or_ttl_of_the_wrong_type_is_rejected(capacity: object, ttl: object) -> None:
    snippet = f"from solution import RecommendationCache\nRecommendationCache({capacity!r}, {ttl!r})"
    try:
        RecommendationCache(capacity, ttl)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return
    raise AssertionError(repro_message("expected ValueError or TypeError, got a cache", snippet))


@pytest.mark.clause("L1.1")
@pytest.mark.needs("L1.2")
def test_the_smallest_valid_capacity_and_an_integer_ttl_are_accepted() -> None:
    s = Scenario(capacity=1, ttl=1)
    s.call("put", "p1", ["t1"])
    s.expect("get", "p1", expected=("t1",))


@pytest.mark.clause("L1.1")
@pytest.mark.needs("L1.2")
def test_the_default_clock_is_a_real_clock() -> None:
    cache = RecommendationCache(4, 60.0)
    cache.put("p1", ["t1"])
    got = cache.get("p1")
    assert same_value(got, ("t1",)), repro_message(
        f"expected ('t1',), got {got!r}",
        "from solution import RecommendationCache\ncache = RecommendationCache(4, 60.0)\n"
        "cache.put('p1', ['t1'])\nprint(cache.get('p1'))",
    )


# L1.2 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.2")
def test_changing_the_callers_list_after_put_does_not_change_the_entry() -> None:
    s = Scenario()
    titles = ["t1", "t2"]
    s.note("titles = ['t1', 't2']")
    s.call("put", "p1", titles, shown=["'p1'", "titles"])
    titles.append("t3")
    titles[0] = "tX"
    s.note("titles.append('t3')")
    s.note("titles[0] = 'tX'")
    s.expect("get", "p1", expected=("t1", "t2"))


@pytest.mark.clause("L1.2")
@given(row=ROWS)
def test_get_returns_a_tuple_equal_to_the_row_that_was_put(row: list[str]) -> None:
    s = Scenario()
    s.call("put", "p1", list(row))
    s.expect("get", "p1", expected=tuple(row))


@pytest.mark.clause("L1.2")
def test_a_row_given_as_a_tuple_or_other_sequence_is_stored_as_a_tuple() -> None:
    s = Scenario()
    s.call("put", "p1", ("t1", "t2"))
    s.note("from collections import UserList")
    s.call("put", "p2", UserList(["t3"]), shown=["'p2'", "UserList(['t3'])"])
    s.expect("get", "p1", expected=("t1", "t2"))
    s.expect("get", "p2", expected=("t3",))


# L1.3 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.3")
def test_a_single_string_as_titles_is_rejected_and_stores_nothing() -> None:
    s = Scenario()
    s.note("cache.put('p1', 't1')  # expected TypeError")
    try:
        s.cache.put("p1", "t1")
    except TypeError:
        pass
    except Exception as error:
        s.fail(f"expected TypeError, got {type(error).__name__}: {error}")
    else:
        s.fail("expected TypeError, got None (the str was accepted)")
    s.expect("get", "p1", expected=None, why="a rejected put stores nothing")
    s.expect_len(0)


# L1.4 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.4")
def test_put_replaces_the_row_of_a_profile() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1"])
    s.call("put", "p1", ["t2", "t3"])
    s.expect("get", "p1", expected=("t2", "t3"))
    s.expect_len(1)


@pytest.mark.clause("L1.4")
def test_put_restarts_the_ttl_of_a_profile() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.at(6.0)
    s.call("put", "p1", ["t1"])
    s.at(12.0)
    s.expect("get", "p1", expected=("t1",), why="the second put at 6.0 is fresh until 16.0")
    s.at(16.0)
    s.expect("get", "p1", expected=None, why="the second put at 6.0 expires at 16.0")


# L1.5 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.5")
def test_a_profile_never_stored_is_a_miss() -> None:
    s = Scenario()
    s.expect("get", "nobody", expected=None)


@pytest.mark.clause("L1.5")
def test_an_entry_is_fresh_just_before_and_expired_exactly_at_stored_time_plus_ttl() -> None:
    # Each entry is read once, so the check does not rest on L1.6 (reads do not extend).
    s = Scenario(ttl=10.0, start=100.0)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.at(109.75)
    s.expect("get", "p1", expected=("t1",), why="fresh while clock() < 100 + 10")
    s.at(110.0)
    s.expect("get", "p2", expected=None, why="expired from clock() >= 100 + 10")


@pytest.mark.clause("L1.5")
@given(stored_at=QUARTERS, ttl=QUARTERS, later=st.integers(min_value=-8, max_value=8))
@example(stored_at=0.25, ttl=0.25, later=0)
@example(stored_at=100.0, ttl=2.5, later=-1)
def test_freshness_follows_clock_less_than_stored_time_plus_ttl(
    stored_at: float, ttl: float, later: int
) -> None:
    now = max(stored_at, stored_at + ttl + later / 4)
    s = Scenario(ttl=ttl, start=stored_at)
    s.call("put", "p1", ["t1"])
    s.at(now)
    s.expect("get", "p1", expected=("t1",) if now < stored_at + ttl else None,
             why=f"stored at {stored_at}, ttl {ttl}: fresh while clock() < {stored_at + ttl}")


# L1.6 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.6")
def test_reading_an_entry_does_not_extend_its_ttl() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", ["t1"])
    for now in (3.0, 6.0, 9.75):
        s.at(now)
        s.expect("get", "p1", expected=("t1",))
    s.at(10.0)
    s.expect("get", "p1", expected=None, why="stored at 0.0 with ttl 10.0, reads do not extend")


# L1.7 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.7")
def test_an_empty_row_is_a_cached_value_not_a_miss() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", [])
    s.expect("get", "p1", expected=())
    s.expect_len(1)
    s.expect("invalidate", "p1", expected=True, why="an empty row is a fresh entry")


@pytest.mark.clause("L1.7")
def test_an_empty_row_expires_like_any_other() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", [])
    s.at(10.0)
    s.expect("get", "p1", expected=None)


# L1.8 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.8")
def test_invalidating_a_fresh_entry_removes_it_and_returns_true() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    s.expect("invalidate", "p1", expected=True)
    s.expect("get", "p1", expected=None)
    s.expect("get", "p2", expected=("t2",), why="other profiles are untouched")


@pytest.mark.clause("L1.8")
def test_invalidating_a_profile_without_an_entry_returns_false() -> None:
    s = Scenario()
    s.expect("invalidate", "p1", expected=False)
    s.call("put", "p1", ["t1"])
    s.call("invalidate", "p1")
    s.expect("invalidate", "p1", expected=False, why="it was already removed")


@pytest.mark.clause("L1.8")
def test_invalidating_an_expired_entry_returns_false() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", ["t1"])
    s.at(10.0)
    s.expect("invalidate", "p1", expected=False, why="the entry expired at 10.0")
    s.expect("get", "p1", expected=None)


# L1.9 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L1.9")
def test_len_counts_only_fresh_entries() -> None:
    s = Scenario(ttl=10.0)
    s.expect_len(0)
    s.call("put", "p1", ["t1"])
    s.at(2.0)
    s.call("put", "p2", ["t2"])
    s.call("put", "p3", [])
    s.expect_len(3)
    s.at(10.0)
    s.expect_len(2, why="p1 expired at 10.0")
    s.at(12.0)
    s.expect_len(0, why="p2 and p3 expired at 12.0")


@pytest.mark.clause("L1.9")
def test_len_does_not_count_invalidated_or_replaced_entries_twice() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1"])
    s.call("put", "p1", ["t2"])
    s.call("put", "p2", ["t2"])
    s.expect_len(2)
    s.call("invalidate", "p2")
    s.expect_len(1)
