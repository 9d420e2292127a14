"""Level 4 — compute on miss, concurrency.

Concurrent scenarios are driven by events: a compute blocks on an event until the check releases
it, so "while the compute runs" is exact, and every wait has a timeout, so a solution that waits
where it must not fails with a message instead of hanging.

Every check here asserts only what holds for every interleaving the statement allows, and says
why next to it. The rules it relies on:

- A step the check takes itself (a call that returned, an event that was set) happened before the
  next step: that order is certain whatever the machine does.
- Threads the check merely starts can arrive at any later time. Where a check lets threads arrive
  with `settle`, it accepts everything a correct solution may do for a thread that arrives late.
- A wait for something a correct solution does at once has a timeout (TIMEOUT, PROMPT) many times
  longer than any scheduling delay, so only a solution that really waits reaches it.
"""

from __future__ import annotations

import inspect
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from rc_support import (
    TIMEOUT,
    BlockingCompute,
    CountingCompute,
    Scenario,
    Worker,
    join_while_progressing,
    promptly,
    ran_out_text,
    repro_message,
    same_value,
    settle,
    wait_limit,
)
from solution import RecommendationCache

RESULT = ("t1", "t2")


class ModelDown(Exception):
    """The exception the checks' failing compute functions raise."""


def during_compute_snippet(
    action: str, after: str = "", followers: int = 0, fails: bool = False, before: str = ""
) -> str:
    """Runnable code doing what the concurrent checks do: `before` runs, p1's compute blocks,
    `followers` more callers for p1 arrive, `action` runs, the compute is released (it returns
    ['t1', 't2'], or raises ModelDown when `fails`), then `after` runs."""
    outcome = 'raise ModelDown("model unavailable")' if fails else 'return ["t1", "t2"]'
    waiting = (
        "waiters = [threading.Thread(target=report, args=(f'waiter {i}', lambda: "
        "cache.get_or_compute('p1', lambda: ['other']))) for i in range(" + str(followers) +
        ")]\nfor w in waiters:\n    w.start()\n"
        "time.sleep(0.2)  # let the waiters reach the running compute\n"
        if followers else ""
    )
    joined = "for w in waiters:\n    w.join(5)\n" if followers else ""
    return f"""
import threading
import time
from solution import RecommendationCache


class ModelDown(Exception):
    pass


def report(name, call):
    try:
        print(name, "got", call())
    except Exception as error:
        print(name, "raised", repr(error))


cache = RecommendationCache(capacity=8, ttl=60.0)
{before}
started, release = threading.Event(), threading.Event()


def slow_compute():
    started.set()
    release.wait(5)
    {outcome}


leader = threading.Thread(
    target=report, args=("leader", lambda: cache.get_or_compute("p1", slow_compute)))
leader.start()
started.wait(5)
{waiting}{action}
release.set()
leader.join(5)
{joined}{after}
"""


@contextmanager
def blocked_compute(
    cache: RecommendationCache, snippet: str, profile: str = "p1",
    compute: BlockingCompute | None = None,
) -> Iterator[tuple[Worker, BlockingCompute]]:
    """Start get_or_compute(profile) whose compute blocks; always release it on the way out."""
    compute = compute or BlockingCompute(RESULT)
    leader = Worker(lambda: cache.get_or_compute(profile, compute), name="leader").start()
    try:
        compute.wait_started(snippet)
        yield leader, compute
    finally:
        compute.release.set()


class LateCompute(CountingCompute):
    """The compute of a caller that should have joined a running computation. Counts its calls
    and how many came before `mark` was set: a call made then is certain to have come while the
    first computation was still open to joiners."""

    def __init__(self, result: Sequence[str], mark: threading.Event) -> None:
        super().__init__(result)
        self.mark = mark
        self.early = 0

    def __call__(self) -> list[str]:
        if not self.mark.is_set():
            with self._lock:
                self.early += 1
        return super().__call__()


def start_followers(cache: RecommendationCache, compute: Callable[[], Any], count: int
                    ) -> list[Worker]:
    """Start `count` get_or_compute('p1', compute) calls and let them arrive (see `settle`)."""
    followers = [
        Worker(lambda: cache.get_or_compute("p1", compute), name=f"follower{i}").start()
        for i in range(count)
    ]
    settle(followers)
    return followers


def outcome(worker: Worker) -> str:
    return f"raised {worker.error!r}" if worker.error is not None else f"returned {worker.result!r}"


def goc(s: Scenario, profile: str, compute: Callable[[], Any], shown: str) -> Any:
    """Record and run get_or_compute in a thread, failing instead of hanging."""
    s.note(f"cache.get_or_compute({profile!r}, {shown})")
    worker = Worker(lambda: s.cache.get_or_compute(profile, compute)).start()
    waited = wait_limit(TIMEOUT)
    if not worker.finished.wait(waited):
        s.fail(ran_out_text(f"get_or_compute({profile!r}, ...)", waited, TIMEOUT))
    if worker.error is not None:
        s.lines[-1] += f"  # raised {type(worker.error).__name__}: {worker.error}"
        raise worker.error
    s.lines[-1] += f"  # returned {worker.result!r}"
    return worker.result


def expect_equal(s: Scenario, got: Any, expected: Any, what: str) -> None:
    if not same_value(got, expected):
        s.fail(f"{what}: expected {expected!r}, got {got!r}")


# L4.1 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L4.1")
def test_a_fresh_entry_is_returned_without_calling_compute() -> None:
    s = Scenario()
    s.call("put", "p1", ["t1"])
    s.note("compute = lambda: ['computed']")
    compute = CountingCompute(["computed"])
    got = goc(s, "p1", compute, "compute")
    expect_equal(s, got, ("t1",), "get_or_compute of a fresh entry")
    expect_equal(s, compute.calls, 0, "number of compute calls")


@pytest.mark.clause("L4.1")
def test_a_hit_from_get_or_compute_counts_as_a_use() -> None:
    s = Scenario(capacity=2)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    goc(s, "p1", CountingCompute(["computed"]), "lambda: ['computed']")
    s.call("put", "p3", ["t3"])
    s.expect("get", "p2", expected=None, why="p1 was used after p2, so p2 is evicted")
    s.expect("get", "p1", expected=("t1",))


# L4.2 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L4.2")
def test_a_miss_calls_compute_once_and_stores_its_result_as_a_tuple() -> None:
    s = Scenario()
    compute = CountingCompute(["t1", "t2"])
    got = goc(s, "p1", compute, "lambda: ['t1', 't2']")
    expect_equal(s, got, RESULT, "get_or_compute on a miss")
    s.expect("get", "p1", expected=RESULT, why="the computed result is stored")
    got = goc(s, "p1", compute, "lambda: ['t1', 't2']")
    expect_equal(s, got, RESULT, "get_or_compute of the stored result")
    expect_equal(s, compute.calls, 1, "number of compute calls")


@pytest.mark.clause("L4.2")
def test_an_empty_computed_result_is_cached() -> None:
    s = Scenario()
    compute = CountingCompute([])
    expect_equal(s, goc(s, "p1", compute, "lambda: []"), (), "get_or_compute on a miss")
    expect_equal(s, goc(s, "p1", compute, "lambda: []"), (), "get_or_compute again")
    expect_equal(s, compute.calls, 1, "number of compute calls")


@pytest.mark.clause("L4.2")
def test_a_computed_result_is_stored_as_a_snapshot() -> None:
    s = Scenario()
    row = ["t1", "t2"]
    s.note("row = ['t1', 't2']")
    goc(s, "p1", lambda: row, "lambda: row")
    row.append("t3")
    s.note("row.append('t3')")
    s.expect("get", "p1", expected=RESULT)


@pytest.mark.clause("L4.2")
def test_the_ttl_of_a_computed_result_starts_when_compute_returns() -> None:
    s = Scenario(ttl=10.0)

    def slow_compute() -> list[str]:
        s.clock.now = 4.0  # the model takes 4 seconds
        return ["t1"]

    s.note("def slow_compute():\n    clock.now = 4.0\n    return ['t1']")
    goc(s, "p1", slow_compute, "slow_compute")
    s.at(13.75)
    s.expect("get", "p1", expected=("t1",), why="stored when compute returned at 4.0")
    s.at(14.0)
    s.expect("get", "p1", expected=None, why="stored at 4.0 with ttl 10.0")


@pytest.mark.clause("L4.2")
def test_an_expired_entry_is_computed_again() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", ["old"])
    s.at(10.0)
    compute = CountingCompute(["new"])
    expect_equal(s, goc(s, "p1", compute, "lambda: ['new']"), ("new",), "get_or_compute")
    s.expect("get", "p1", expected=("new",))


@pytest.mark.clause("L4.2")
@pytest.mark.parametrize("ended_by", ["expiry", "invalidate_title"])
def test_a_finished_computation_is_no_longer_in_progress(ended_by: str) -> None:
    # A computation is in progress until its get_or_compute has stored or discarded the result
    # (level 4's definition): once that call returned, a miss for the profile calls compute again
    # (L4.2), it never joins the finished computation.
    s = Scenario(ttl=10.0)
    expect_equal(s, goc(s, "p1", CountingCompute(["old"]), "lambda: ['old']"), ("old",),
                 "the first get_or_compute")
    if ended_by == "expiry":
        s.at(10.0)
    else:
        s.expect("invalidate_title", "old", expected=1)
    s.note("compute = lambda: ['new']")
    compute = CountingCompute(["new"])
    got = goc(s, "p1", compute, "compute")
    expect_equal(s, got, ("new",), "get_or_compute after the stored row is gone")
    expect_equal(s, compute.calls, 1, "number of compute calls after the stored row is gone")
    s.expect("get", "p1", expected=("new",))


@pytest.mark.clause("L4.2")
def test_a_computed_result_is_stored_like_a_put_and_evicts_the_least_recently_used() -> None:
    s = Scenario(capacity=2)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    goc(s, "p3", CountingCompute(["t3"]), "lambda: ['t3']")
    s.expect("get", "p1", expected=None, why="p1 was the least recently used")
    s.expect("get", "p3", expected=("t3",))
    s.expect_len(2)


# Concurrency -------------------------------------------------------------------------------
#
# In the checks below the leader's compute is blocked until the check releases it, and every call
# made through `promptly` has returned before the check goes on, so "during the compute" and
# "after that call" are certain orders, not guesses about timing.


@pytest.mark.clause("L4.2")
def test_other_profiles_are_served_while_a_compute_is_blocked() -> None:
    # Each step runs while p1's compute is blocked and must return (PROMPT) before it is
    # released; the expected values follow from the steps before it alone, since p1's entry is
    # removed after each step (its result is stored once released: no invalidation ran during it).
    cache = RecommendationCache(capacity=8, ttl=60.0)
    cache.put("p2", ["t2"])
    steps: list[tuple[str, Callable[[], Any], Any]] = [
        ("cache.get('p2')", lambda: cache.get("p2"), ("t2",)),
        ("cache.put('p3', ['t3'])", lambda: cache.put("p3", ["t3"]), None),
        ("cache.get_or_compute('p4', lambda: ['t4'])",
         lambda: cache.get_or_compute("p4", lambda: ["t4"]), ("t4",)),
        ("len(cache)", lambda: len(cache), 3),
        ("cache.invalidate('p3')", lambda: cache.invalidate("p3"), True),
        ("cache.invalidate_title('t4')", lambda: cache.invalidate_title("t4"), 1),
    ]
    done: list[str] = []
    for expr, call, expected in steps:
        snippet = during_compute_snippet(
            "\n".join([*done, f"print({expr})"]), before="cache.put('p2', ['t2'])")
        with blocked_compute(cache, snippet) as (leader, _):
            got = promptly(call, expr, snippet)
        leader.wait("the computing get_or_compute", snippet)
        if not same_value(got, expected):
            raise AssertionError(repro_message(
                f"{expr} while p1's compute ran: expected {expected!r}, got {got!r}", snippet))
        done.append(expr)
        cache.invalidate("p1")


@pytest.mark.clause("L4.2")
def test_get_and_len_do_not_wait_for_a_compute_of_the_same_profile() -> None:
    # Both calls run while p1's first compute is blocked, so p1 has no entry yet: None and 0.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("print(cache.get('p1'), len(cache))")
    with blocked_compute(cache, snippet) as (leader, _):
        got = promptly(lambda: cache.get("p1"), "cache.get('p1')", snippet)
        if got is not None:
            raise AssertionError(repro_message(
                f"cache.get('p1') during its first compute: expected None, got {got!r}", snippet))
        got = promptly(lambda: len(cache), "len(cache)", snippet)
        if not same_value(got, 0):
            raise AssertionError(repro_message(
                f"len(cache) during a compute: expected 0, got {got!r}", snippet))
    result = leader.wait("the leader's get_or_compute", snippet)
    if not same_value(result, RESULT):
        raise AssertionError(repro_message(f"expected {RESULT!r}, got {result!r}", snippet))


@pytest.mark.clause("L4.4")
def test_concurrent_callers_for_one_profile_share_one_compute() -> None:
    # The followers start after the leader's compute has started. One that arrives while the
    # computation is in progress joins it (L4.4); one the machine delays until the computation
    # has ended finds its result stored (L4.2, fresh for 60 s) and returns it without computing
    # (L4.1). Either way every caller gets RESULT and no follower's compute runs, whenever the
    # followers arrive; `settle` only makes the joining case the usual one.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("", after="print(cache.get('p1'))", followers=3)
    with blocked_compute(cache, snippet) as (leader, compute):
        others = LateCompute(["other"], compute.release)
        followers = start_followers(cache, others, 3)
    results = [w.wait("a waiting get_or_compute", snippet) for w in [leader, *followers]]
    if others.calls or compute.calls != 1:
        when = (f"{others.early} of them while the first compute was still running"
                if others.early else "after the first compute had returned")
        raise AssertionError(repro_message(
            f"expected compute to run once for 4 concurrent callers, got "
            f"{compute.calls + others.calls} runs ({when}; results {results!r})", snippet))
    if any(not same_value(r, RESULT) for r in results):
        raise AssertionError(repro_message(
            f"expected every caller to get {RESULT!r}, got {results!r}", snippet))


# L4.5 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L4.5")
def test_an_exception_from_compute_reaches_the_caller_and_nothing_is_stored() -> None:
    s = Scenario()

    def failing() -> list[str]:
        raise ModelDown("model unavailable")

    s.note("class ModelDown(Exception):\n    pass\n\n"
           "def failing():\n    raise ModelDown('model unavailable')\n")
    try:
        goc(s, "p1", failing, "failing")
    except ModelDown:
        pass
    else:
        s.fail("expected the compute's exception to be raised, got a result")
    s.expect("get", "p1", expected=None, why="a failed compute stores nothing")
    s.expect_len(0)
    compute = CountingCompute(["t1"])
    got = goc(s, "p1", compute, "lambda: ['t1']")
    expect_equal(s, got, ("t1",), "the next get_or_compute after a failure")
    expect_equal(s, compute.calls, 1, "number of compute calls after a failure")


@pytest.mark.clause("L4.5")
def test_an_exception_from_compute_reaches_every_waiting_caller() -> None:
    # A follower that arrives while the failing computation is in progress joins it and must
    # raise its ModelDown (L4.4, L4.5). One the machine delays until that computation has ended
    # finds nothing stored and runs its own compute, or joins another late follower's: it returns
    # ('other',), which is then stored. So each follower may raise ModelDown or return ('other',),
    # and the leader must raise ModelDown. What is certain: no follower's compute runs before the
    # check released the failing one (it was then still running), and after the run the cache
    # holds ('other',) if a follower computed, else nothing, so that the next get_or_compute
    # computes again.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("", followers=2, fails=True,
                                     after="print(cache.get('p1'))")
    failing = BlockingCompute(RESULT, error=ModelDown("model unavailable"))
    others = LateCompute(["other"], failing.release)
    with blocked_compute(cache, snippet, compute=failing) as (leader, _):
        followers = start_followers(cache, others, 2)
    callers = [leader, *followers]
    for worker in callers:
        waited = wait_limit(TIMEOUT)
        if not worker.finished.wait(waited):
            raise AssertionError(repro_message(
                ran_out_text("a caller waiting on a failed compute", waited, TIMEOUT), snippet))
    outcomes = [outcome(w) for w in callers]
    if others.early:
        raise AssertionError(repro_message(
            f"a waiting caller ran its own compute while the first one was still running "
            f"(expected it to wait for it); outcomes: {outcomes}", snippet))
    late_ok = others.calls > 0
    wrong = [w for w in callers if not isinstance(w.error, ModelDown)
             and not (w is not leader and late_ok and w.error is None and same_value(w.result, ("other",)))]
    if wrong:
        raise AssertionError(repro_message(
            "expected the leader and every caller waiting on it to get "
            f"ModelDown('model unavailable'), got: {outcomes}", snippet))
    got = promptly(lambda: cache.get("p1"), "cache.get('p1')", snippet)
    if late_ok:
        if not same_value(got, ("other",)):
            raise AssertionError(repro_message(
                "a caller that arrived after the failure computed ('other',), which is stored: "
                f"expected get to return ('other',), got {got!r}", snippet))
        return
    if got is not None:
        raise AssertionError(repro_message(
            f"after a failed compute: expected get to return None, got {got!r}", snippet))
    again = CountingCompute(["t9"])
    got = promptly(lambda: cache.get_or_compute("p1", again), "get_or_compute after failure",
                   snippet)
    if not same_value(got, ("t9",)) or again.calls != 1:
        raise AssertionError(repro_message(
            f"the next call after a failure: expected a new compute returning ('t9',), got "
            f"{got!r} with {again.calls} compute calls", snippet))


# L4.6 and L4.7 ------------------------------------------------------------------------------

INVALIDATIONS: dict[str, tuple[str, Callable[[RecommendationCache], Any], tuple[str, ...] | None]] = {
    # kind: (code, action, what get('p1') returns once the old compute has finished)
    "invalidate": ("cache.invalidate('p1')", lambda c: c.invalidate("p1"), None),
    "put": ("cache.put('p1', ['fresh'])", lambda c: c.put("p1", ["fresh"]), ("fresh",)),
    "invalidate_all": ("cache.invalidate_all()", lambda c: c.invalidate_all(), None),
    "invalidate_title": ("cache.invalidate_title('t2')", lambda c: c.invalidate_title("t2"),
                         None),
}


@pytest.mark.clause("L4.6")
@pytest.mark.parametrize("kind", list(INVALIDATIONS))
def test_a_result_computed_across_an_invalidation_is_returned_but_not_stored(kind: str) -> None:
    # The action returns before the compute is released: it certainly ran while the
    # computation was in progress, so its result must not be stored (a put's entry stays).
    code, action, expected = INVALIDATIONS[kind]
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet(code, after="print(cache.get('p1'))")
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: action(cache), code, snippet)
    result = leader.wait("the computing get_or_compute", snippet)
    if not same_value(result, RESULT):
        raise AssertionError(repro_message(
            f"the caller of the compute: expected {RESULT!r}, got {result!r}", snippet))
    got = cache.get("p1")
    if not same_value(got, expected):
        raise AssertionError(repro_message(
            f"after {code} during the compute: expected get('p1') to return {expected!r}, got "
            f"{got!r}", snippet))


@pytest.mark.clause("L4.6")
def test_a_title_invalidation_that_misses_the_result_lets_it_be_stored() -> None:
    # Nothing that L4.6 names happens during the compute (t7 is not in the result): stored.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    code = "cache.invalidate_title('t7')"
    snippet = during_compute_snippet(code, after="print(cache.get('p1'))")
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: cache.invalidate_title("t7"), code, snippet)
    leader.wait("the computing get_or_compute", snippet)
    got = cache.get("p1")
    if not same_value(got, RESULT):
        raise AssertionError(repro_message(
            f"the result does not list t7, so it is stored: expected {RESULT!r}, got {got!r}",
            snippet))


@pytest.mark.clause("L4.6")
def test_an_invalidation_of_another_profile_lets_the_result_be_stored() -> None:
    # Only p2 is invalidated during p1's compute: p1's result is stored.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    cache.put("p2", ["t2"])
    code = "cache.invalidate('p2')"
    snippet = during_compute_snippet(code, after="print(cache.get('p1'))",
                                     before="cache.put('p2', ['t2'])")
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: cache.invalidate("p2"), code, snippet)
    leader.wait("the computing get_or_compute", snippet)
    got = cache.get("p1")
    if not same_value(got, RESULT):
        raise AssertionError(repro_message(
            f"expected get('p1') to return {RESULT!r}, got {got!r}", snippet))


@pytest.mark.clause("L4.6")
def test_callers_waiting_on_an_invalidated_compute_still_get_its_result() -> None:
    # A follower that arrives before the invalidate joins the computation and gets RESULT
    # (L4.4, L4.6). One the machine delays until after the invalidate does not join it (L4.7):
    # it runs its own compute, or joins another late follower's, and returns ('other',), which
    # is stored (nothing invalidates p1 after it started). So each follower may return RESULT or
    # ('other',). What is certain: no follower's compute runs before the check starts the
    # invalidate, the leader gets RESULT, and RESULT is never stored.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("cache.invalidate('p1')", followers=2,
                                     after="print(cache.get('p1'))")
    invalidating = threading.Event()
    others = LateCompute(["other"], invalidating)

    def invalidate() -> bool:
        invalidating.set()
        return cache.invalidate("p1")

    with blocked_compute(cache, snippet) as (leader, _):
        followers = start_followers(cache, others, 2)
        promptly(invalidate, "cache.invalidate('p1')", snippet)
    results = [w.wait("a waiting get_or_compute", snippet) for w in [leader, *followers]]
    late_ok = others.calls > 0
    if others.early or not same_value(results[0], RESULT) or any(
            not same_value(r, RESULT) and not (late_ok and same_value(r, ("other",))) for r in results[1:]):
        raise AssertionError(repro_message(
            f"expected the leader and both waiters to get {RESULT!r}, got {results!r} "
            f"({others.early} compute runs of a waiter before the invalidation)", snippet))
    got = cache.get("p1")
    expected = ("other",) if late_ok else None
    if not same_value(got, expected):
        why = ("a caller arriving after the invalidation computed ('other',), which is stored"
               if late_ok else "the invalidated result must not be stored")
        raise AssertionError(repro_message(
            f"{why}: expected get('p1') to return {expected!r}, got {got!r}", snippet))


@pytest.mark.clause("L4.7")
@pytest.mark.parametrize("kind", ["invalidate", "invalidate_all"])
def test_a_caller_arriving_after_an_invalidation_starts_a_new_compute(kind: str) -> None:
    # The invalidation returns, then the late call is made and must return, all while the old
    # compute is blocked: the late call certainly arrived after the invalidation.
    code, action, _ = INVALIDATIONS[kind]
    cache = RecommendationCache(capacity=8, ttl=60.0)
    late = "print(cache.get_or_compute('p1', lambda: ['new']))"
    snippet = during_compute_snippet(f"{code}\n{late}", after="print(cache.get('p1'))")
    compute = CountingCompute(["new"])
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: action(cache), code, snippet)
        got = promptly(lambda: cache.get_or_compute("p1", compute),
                       "a get_or_compute arriving after the invalidation", snippet)
        if not same_value(got, ("new",)) or compute.calls != 1:
            raise AssertionError(repro_message(
                f"a caller arriving after {code}: expected its own compute to run and return "
                f"('new',), got {got!r} ({compute.calls} calls of its compute)", snippet))
    result = leader.wait("the first get_or_compute", snippet)
    if not same_value(result, RESULT):
        raise AssertionError(repro_message(
            f"the first caller: expected {RESULT!r}, got {result!r}", snippet))
    got = cache.get("p1")
    if not same_value(got, ("new",)):
        raise AssertionError(repro_message(
            f"the new compute's result is stored, the stale one is not: expected ('new',), got "
            f"{got!r}", snippet))


@pytest.mark.clause("L4.7")
def test_a_caller_arriving_after_a_put_gets_the_put_row() -> None:
    # Same order as above: the put returns, then the late call is made, both during the compute.
    cache = RecommendationCache(capacity=8, ttl=60.0)
    code = "cache.put('p1', ['fresh'])"
    late = "print(cache.get_or_compute('p1', lambda: ['new']))"
    snippet = during_compute_snippet(f"{code}\n{late}", after="print(cache.get('p1'))")
    compute = CountingCompute(["new"])
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: cache.put("p1", ["fresh"]), code, snippet)
        got = promptly(lambda: cache.get_or_compute("p1", compute),
                       "a get_or_compute arriving after the put", snippet)
        if not same_value(got, ("fresh",)) or compute.calls:
            raise AssertionError(repro_message(
                f"a caller arriving after {code}: expected ('fresh',) from the cache, got "
                f"{got!r} ({compute.calls} calls of its compute)", snippet))
    leader.wait("the first get_or_compute", snippet)
    got = cache.get("p1")
    if not same_value(got, ("fresh",)):
        raise AssertionError(repro_message(
            f"the put made during the compute stays: expected ('fresh',), got {got!r}", snippet))


# L4.3 ---------------------------------------------------------------------------------------

STRESS_CAPACITY = 4
STRESS_PROFILES = 8
STRESS_THREADS = 4
STRESS_OPS = 1500
STRESS_TTL = 0.002


def failing() -> list[str]:
    raise ModelDown("model unavailable")


def stress_work(cache: RecommendationCache, seed: int, problems: list[str], progress: list[int],
                go: threading.Event) -> None:
    """One stress thread: STRESS_OPS random calls, noting in `problems` every result that no
    interleaving allows. Profile p's rows are always (p, something), so a row handed back for p
    must be a pair starting with p, and only p's row lists the title p."""
    go.wait(5)
    rng = random.Random(seed)
    for n in range(STRESS_OPS):
        progress[seed] = n + 1
        p = f"p{rng.randrange(STRESS_PROFILES)}"
        op = rng.randrange(8)
        row = None
        try:
            if op == 0:
                cache.put(p, [p, f"v{n}"])
            elif op == 1:
                row = cache.get(p)
            elif op == 2:
                if type(cache.invalidate(p)) is not bool:
                    problems.append(f"invalidate({p!r}) did not return a bool")
            elif op == 3:
                removed = cache.invalidate_title(p)
                if type(removed) is not int or removed not in (0, 1):
                    problems.append(f"invalidate_title({p!r}) returned {removed!r}; at most one "
                                    "entry lists it")
            elif op == 4:
                size = len(cache)
                if not 0 <= size <= STRESS_CAPACITY:
                    problems.append(f"len(cache) was {size} with capacity {STRESS_CAPACITY}")
            elif op == 5:
                row = cache.get_or_compute(p, lambda p=p: [p, "computed"])
            elif op == 6:
                row = cache.get_or_compute(p, failing)
            elif rng.random() < 0.05:
                cache.invalidate_all()
        except ModelDown:
            # Any get_or_compute for p may join a computation another thread started with
            # `failing` and must then raise its ModelDown (L4.4, L4.5), whatever its own compute.
            if op not in (5, 6):
                problems.append(f"call {op} for {p!r} raised ModelDown, which only compute raises")
        if row is not None and (type(row) is not tuple or len(row) != 2 or not same_value(row[0], p)):
            problems.append(f"call {op} for {p!r} returned {row!r}, which was never stored or "
                            "computed for it")


STRESS_SNIPPET = "\n".join([
    "import random",
    "import threading",
    "from solution import RecommendationCache",
    "",
    f"STRESS_CAPACITY, STRESS_PROFILES, STRESS_OPS = {STRESS_CAPACITY}, {STRESS_PROFILES}, "
    f"{STRESS_OPS}",
    "",
    inspect.getsource(ModelDown),
    inspect.getsource(failing),
    inspect.getsource(stress_work),
    f"cache = RecommendationCache(capacity=STRESS_CAPACITY, ttl={STRESS_TTL})",
    f"problems, progress, go = [], [0] * {STRESS_THREADS}, threading.Event()",
    "threads = [threading.Thread(target=stress_work, args=(cache, seed, problems, progress, go))",
    f"           for seed in range({STRESS_THREADS})]",
    "for t in threads:",
    "    t.start()",
    "go.set()",
    "for t in threads:",
    "    t.join()",
    "print(len(problems), 'problems', problems[:3])",
    "print('len after the run:', len(cache))",
    "cache.invalidate_all()",
    "print('len after invalidate_all:', len(cache))",
])


@pytest.mark.clause("L4.3")
def test_many_threads_calling_every_method_keep_every_invariant() -> None:
    # What `stress_work` asserts holds in every interleaving (see its comments): rows are only
    # ever stored or computed as (p, ...) for profile p, the title p only in p's row, L2.1 bounds
    # len at every moment, and a get_or_compute may raise the failing compute's ModelDown when it
    # joined that computation. The check waits while the threads make progress and fails only
    # when none of them has moved for many seconds (a deadlock), see `join_while_progressing`.
    cache = RecommendationCache(capacity=STRESS_CAPACITY, ttl=STRESS_TTL)
    problems: list[str] = []
    progress = [0] * STRESS_THREADS
    go = threading.Event()
    workers = [
        Worker(lambda seed=seed: stress_work(cache, seed, problems, progress, go),
               name=f"stress{seed}").start()
        for seed in range(STRESS_THREADS)
    ]
    go.set()
    join_while_progressing(workers, progress, "the stress threads", STRESS_SNIPPET)
    for worker in workers:
        worker.wait("a stress thread", STRESS_SNIPPET)
    if problems:
        raise AssertionError(repro_message(
            f"expected no broken invariant, got {len(problems)}, first: {problems[0]}",
            STRESS_SNIPPET))
    size = len(cache)
    if size > STRESS_CAPACITY:
        raise AssertionError(repro_message(
            f"len(cache) after the run: expected at most {STRESS_CAPACITY}, got {size}",
            STRESS_SNIPPET))
    cache.invalidate_all()
    if len(cache) != 0:
        raise AssertionError(repro_message(
            f"expected len 0 after invalidate_all, got {len(cache)}", STRESS_SNIPPET))
