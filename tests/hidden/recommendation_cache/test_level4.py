"""Level 4 — compute on miss, concurrency.

Concurrent scenarios are made deterministic with events: a compute blocks on an event until the
check releases it, and every wait has a timeout, so a solution that waits where it must not fails
with a message instead of hanging.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest
from rc_support import (
    TIMEOUT,
    BlockingCompute,
    CountingCompute,
    Scenario,
    Worker,
    promptly,
    repro_message,
    settle,
)
from solution import RecommendationCache

RESULT = ("t1", "t2")


def during_compute_snippet(action: str, after: str = "", followers: int = 0) -> str:
    """Runnable code: p1's compute blocks, `action` runs meanwhile, then `after`."""
    waiting = (
        f"\nwaiters = [threading.Thread(target=lambda: print('waiter got', "
        f"cache.get_or_compute('p1', lambda: ['other']))) for _ in range({followers})]\n"
        "for w in waiters:\n    w.start()\n"
        "import time; time.sleep(0.2)  # let the waiters arrive\n"
        if followers else ""
    )
    return f"""
import threading
from solution import RecommendationCache

cache = RecommendationCache(capacity=8, ttl=60.0)
started, release = threading.Event(), threading.Event()

def slow_compute():
    started.set()
    release.wait(5)
    return ["t1", "t2"]

leader = threading.Thread(
    target=lambda: print("leader got", cache.get_or_compute("p1", slow_compute)))
leader.start()
started.wait(5)
{waiting}{action}
release.set()
leader.join(5)
{after}
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


def goc(s: Scenario, profile: str, compute: Callable[[], Any], shown: str) -> Any:
    """Record and run get_or_compute in a thread, failing instead of hanging."""
    s.note(f"cache.get_or_compute({profile!r}, {shown})")
    worker = Worker(lambda: s.cache.get_or_compute(profile, compute)).start()
    if not worker.finished.wait(TIMEOUT):
        s.fail(f"get_or_compute({profile!r}, ...) did not return within {TIMEOUT:g} s")
    if worker.error is not None:
        s.lines[-1] += f"  # raised {type(worker.error).__name__}: {worker.error}"
        raise worker.error
    s.lines[-1] += f"  # returned {worker.result!r}"
    return worker.result


def expect_equal(s: Scenario, got: Any, expected: Any, what: str) -> None:
    same = got == expected and (expected is None or type(got) is type(expected))
    if not same:
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


@pytest.mark.clause("L4.1", "L2.3")
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


@pytest.mark.clause("L4.2", "L1.7")
def test_an_empty_computed_result_is_cached() -> None:
    s = Scenario()
    compute = CountingCompute([])
    expect_equal(s, goc(s, "p1", compute, "lambda: []"), (), "get_or_compute on a miss")
    expect_equal(s, goc(s, "p1", compute, "lambda: []"), (), "get_or_compute again")
    expect_equal(s, compute.calls, 1, "number of compute calls")


@pytest.mark.clause("L4.2", "L1.2")
def test_a_computed_result_is_stored_as_a_snapshot() -> None:
    s = Scenario()
    row = ["t1", "t2"]
    s.note("row = ['t1', 't2']")
    goc(s, "p1", lambda: row, "lambda: row")
    row.append("t3")
    s.note("row.append('t3')")
    s.expect("get", "p1", expected=RESULT)


@pytest.mark.clause("L4.2", "L1.5")
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


@pytest.mark.clause("L4.2", "L1.5")
def test_an_expired_entry_is_computed_again() -> None:
    s = Scenario(ttl=10.0)
    s.call("put", "p1", ["old"])
    s.at(10.0)
    compute = CountingCompute(["new"])
    expect_equal(s, goc(s, "p1", compute, "lambda: ['new']"), ("new",), "get_or_compute")
    s.expect("get", "p1", expected=("new",))


@pytest.mark.clause("L4.2", "L2.3")
def test_a_computed_result_is_stored_like_a_put_and_evicts_the_least_recently_used() -> None:
    s = Scenario(capacity=2)
    s.call("put", "p1", ["t1"])
    s.call("put", "p2", ["t2"])
    goc(s, "p3", CountingCompute(["t3"]), "lambda: ['t3']")
    s.expect("get", "p1", expected=None, why="p1 was the least recently used")
    s.expect("get", "p3", expected=("t3",))
    s.expect_len(2)


@pytest.mark.clause("L4.2")
def test_other_profiles_are_served_while_a_compute_is_blocked() -> None:
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
        snippet = during_compute_snippet("\n".join([*done, f"print({expr})"]))
        with blocked_compute(cache, snippet) as (leader, _):
            got = promptly(call, expr, snippet)
        leader.wait("the computing get_or_compute", snippet)
        if got != expected:
            raise AssertionError(repro_message(
                f"{expr} while p1's compute ran: expected {expected!r}, got {got!r}", snippet))
        done.append(expr)
        cache.invalidate("p1")


@pytest.mark.clause("L4.2")
def test_get_and_len_do_not_wait_for_a_compute_of_the_same_profile() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("print(cache.get('p1'), len(cache))")
    with blocked_compute(cache, snippet) as (leader, _):
        got = promptly(lambda: cache.get("p1"), "cache.get('p1')", snippet)
        if got is not None:
            raise AssertionError(repro_message(
                f"cache.get('p1') during its first compute: expected None, got {got!r}", snippet))
        got = promptly(lambda: len(cache), "len(cache)", snippet)
        if got != 0:
            raise AssertionError(repro_message(
                f"len(cache) during a compute: expected 0, got {got!r}", snippet))
    result = leader.wait("the leader's get_or_compute", snippet)
    if result != RESULT:
        raise AssertionError(repro_message(f"expected {RESULT!r}, got {result!r}", snippet))


# L4.4 ---------------------------------------------------------------------------------------


@pytest.mark.clause("L4.4")
def test_concurrent_callers_for_one_profile_share_one_compute() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("", after="print(cache.get('p1'))", followers=3)
    others = CountingCompute(["other"])
    with blocked_compute(cache, snippet) as (leader, compute):
        followers = [
            Worker(lambda: cache.get_or_compute("p1", others), name=f"follower{i}").start()
            for i in range(3)
        ]
        settle(followers)
    results = [w.wait("a waiting get_or_compute", snippet) for w in [leader, *followers]]
    if others.calls or compute.calls != 1:
        raise AssertionError(repro_message(
            f"expected compute to run once for 4 concurrent callers, got {compute.calls + others.calls}"
            f" runs (results {results!r})", snippet))
    if any(r != RESULT for r in results):
        raise AssertionError(repro_message(
            f"expected every caller to get {RESULT!r}, got {results!r}", snippet))


# L4.5 ---------------------------------------------------------------------------------------


class ModelDown(Exception):
    """The exception the checks' compute functions raise."""


@pytest.mark.clause("L4.5")
def test_an_exception_from_compute_reaches_the_caller_and_nothing_is_stored() -> None:
    s = Scenario()

    def failing() -> list[str]:
        raise ModelDown("model unavailable")

    s.note("def failing():\n    raise RuntimeError('model unavailable')")
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


@pytest.mark.clause("L4.5", "L4.4")
def test_an_exception_from_compute_reaches_every_waiting_caller() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet(
        "", followers=2,
        after="# make slow_compute raise instead of returning to reproduce\n"
              "print(cache.get('p1'))").replace(
        'return ["t1", "t2"]', 'raise RuntimeError("model unavailable")')
    others = CountingCompute(["other"])
    failing = BlockingCompute(RESULT, error=ModelDown("model unavailable"))
    with blocked_compute(cache, snippet, compute=failing) as (leader, _):
        followers = [
            Worker(lambda: cache.get_or_compute("p1", others), name=f"follower{i}").start()
            for i in range(2)
        ]
        settle(followers)
    for worker in [leader, *followers]:
        if not worker.finished.wait(TIMEOUT):
            raise AssertionError(repro_message(
                f"a caller waiting on a failed compute did not return within {TIMEOUT:g} s",
                snippet))
    outcomes = [repr(w.error) if w.error is not None else f"returned {w.result!r}"
                for w in [leader, *followers]]
    if others.calls or not all(isinstance(w.error, ModelDown) for w in [leader, *followers]):
        raise AssertionError(repro_message(
            "expected the leader and both waiters to get ModelDown('model unavailable'), got "
            f"{outcomes} (other computes run: {others.calls})", snippet))
    got = promptly(lambda: cache.get("p1"), "cache.get('p1')", snippet)
    if got is not None:
        raise AssertionError(repro_message(
            f"after a failed compute: expected get to return None, got {got!r}", snippet))
    again = CountingCompute(["t9"])
    got = promptly(lambda: cache.get_or_compute("p1", again), "get_or_compute after failure",
                   snippet)
    if got != ("t9",) or again.calls != 1:
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
    code, action, expected = INVALIDATIONS[kind]
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet(code, after="print(cache.get('p1'))")
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: action(cache), code, snippet)
    result = leader.wait("the computing get_or_compute", snippet)
    if result != RESULT:
        raise AssertionError(repro_message(
            f"the caller of the compute: expected {RESULT!r}, got {result!r}", snippet))
    got = cache.get("p1")
    if got != expected:
        raise AssertionError(repro_message(
            f"after {code} during the compute: expected get('p1') to return {expected!r}, got "
            f"{got!r}", snippet))


@pytest.mark.clause("L4.6")
def test_a_title_invalidation_that_misses_the_result_lets_it_be_stored() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    code = "cache.invalidate_title('t7')"
    snippet = during_compute_snippet(code, after="print(cache.get('p1'))")
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: cache.invalidate_title("t7"), code, snippet)
    leader.wait("the computing get_or_compute", snippet)
    got = cache.get("p1")
    if got != RESULT:
        raise AssertionError(repro_message(
            f"the result does not list t7, so it is stored: expected {RESULT!r}, got {got!r}",
            snippet))


@pytest.mark.clause("L4.6")
def test_an_invalidation_of_another_profile_lets_the_result_be_stored() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    cache.put("p2", ["t2"])
    code = "cache.invalidate('p2')"
    snippet = during_compute_snippet(code, after="print(cache.get('p1'))")
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: cache.invalidate("p2"), code, snippet)
    leader.wait("the computing get_or_compute", snippet)
    got = cache.get("p1")
    if got != RESULT:
        raise AssertionError(repro_message(
            f"expected get('p1') to return {RESULT!r}, got {got!r}", snippet))


@pytest.mark.clause("L4.6", "L4.4")
def test_callers_waiting_on_an_invalidated_compute_still_get_its_result() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    snippet = during_compute_snippet("cache.invalidate('p1')", followers=2,
                                     after="print(cache.get('p1'))")
    others = CountingCompute(["other"])
    with blocked_compute(cache, snippet) as (leader, _):
        followers = [
            Worker(lambda: cache.get_or_compute("p1", others), name=f"follower{i}").start()
            for i in range(2)
        ]
        settle(followers)
        promptly(lambda: cache.invalidate("p1"), "cache.invalidate('p1')", snippet)
    results = [w.wait("a waiting get_or_compute", snippet) for w in [leader, *followers]]
    if others.calls or any(r != RESULT for r in results):
        raise AssertionError(repro_message(
            f"expected the leader and both waiters to get {RESULT!r}, got {results!r}", snippet))
    got = cache.get("p1")
    if got is not None:
        raise AssertionError(repro_message(
            f"the invalidated result must not be stored: expected None, got {got!r}", snippet))


@pytest.mark.clause("L4.7")
@pytest.mark.parametrize("kind", ["invalidate", "invalidate_all"])
def test_a_caller_arriving_after_an_invalidation_starts_a_new_compute(kind: str) -> None:
    code, action, _ = INVALIDATIONS[kind]
    cache = RecommendationCache(capacity=8, ttl=60.0)
    late = "print(cache.get_or_compute('p1', lambda: ['new']))"
    snippet = during_compute_snippet(f"{code}\n{late}", after="print(cache.get('p1'))")
    compute = CountingCompute(["new"])
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: action(cache), code, snippet)
        got = promptly(lambda: cache.get_or_compute("p1", compute),
                       "a get_or_compute arriving after the invalidation", snippet)
        if got != ("new",) or compute.calls != 1:
            raise AssertionError(repro_message(
                f"a caller arriving after {code}: expected its own compute to run and return "
                f"('new',), got {got!r} ({compute.calls} calls of its compute)", snippet))
    result = leader.wait("the first get_or_compute", snippet)
    if result != RESULT:
        raise AssertionError(repro_message(
            f"the first caller: expected {RESULT!r}, got {result!r}", snippet))
    got = cache.get("p1")
    if got != ("new",):
        raise AssertionError(repro_message(
            f"the new compute's result is stored, the stale one is not: expected ('new',), got "
            f"{got!r}", snippet))


@pytest.mark.clause("L4.7")
def test_a_caller_arriving_after_a_put_gets_the_put_row() -> None:
    cache = RecommendationCache(capacity=8, ttl=60.0)
    code = "cache.put('p1', ['fresh'])"
    late = "print(cache.get_or_compute('p1', lambda: ['new']))"
    snippet = during_compute_snippet(f"{code}\n{late}", after="print(cache.get('p1'))")
    compute = CountingCompute(["new"])
    with blocked_compute(cache, snippet) as (leader, _):
        promptly(lambda: cache.put("p1", ["fresh"]), code, snippet)
        got = promptly(lambda: cache.get_or_compute("p1", compute),
                       "a get_or_compute arriving after the put", snippet)
        if got != ("fresh",) or compute.calls:
            raise AssertionError(repro_message(
                f"a caller arriving after {code}: expected ('fresh',) from the cache, got "
                f"{got!r} ({compute.calls} calls of its compute)", snippet))
    leader.wait("the first get_or_compute", snippet)
    got = cache.get("p1")
    if got != ("fresh",):
        raise AssertionError(repro_message(
            f"the put made during the compute stays: expected ('fresh',), got {got!r}", snippet))


# L4.3 ---------------------------------------------------------------------------------------

STRESS_SNIPPET = """
import random, threading
from solution import RecommendationCache

cache = RecommendationCache(capacity=4, ttl=0.002)
def work(seed):
    rng = random.Random(seed)
    for n in range(1500):
        p = f"p{rng.randrange(8)}"
        op = rng.randrange(7)
        if op == 0: cache.put(p, [p, f"v{n}"])
        elif op == 1: cache.get(p)
        elif op == 2: cache.invalidate(p)
        elif op == 3: cache.invalidate_title(p)
        elif op == 4: assert len(cache) <= 4
        elif op == 5: cache.get_or_compute(p, lambda: [p, "computed"])
        else: cache.invalidate_all() if rng.random() < 0.05 else cache.get(p)
threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
for t in threads: t.start()
for t in threads: t.join()
"""


@pytest.mark.clause("L4.3", "L2.1")
def test_many_threads_calling_every_method_keep_every_invariant() -> None:
    capacity, profiles, threads, ops = 4, 8, 4, 1500
    cache = RecommendationCache(capacity=capacity, ttl=0.002)
    barrier = threading.Barrier(threads)
    problems: list[str] = []

    def check_row(p: str, row: Any, what: str) -> None:
        if row is not None and (type(row) is not tuple or not row or row[0] != p):
            problems.append(f"{what} for {p!r} returned {row!r}, which was never stored for it")

    def work(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait(TIMEOUT)
        for n in range(ops):
            p = f"p{rng.randrange(profiles)}"
            op = rng.randrange(8)
            if op == 0:
                cache.put(p, [p, f"v{n}"])
            elif op == 1:
                check_row(p, cache.get(p), "get")
            elif op == 2:
                cache.invalidate(p)
            elif op == 3:
                removed = cache.invalidate_title(p)
                if removed not in (0, 1):
                    problems.append(f"invalidate_title({p!r}) returned {removed}; at most one "
                                    "profile lists it")
            elif op == 4:
                size = len(cache)
                if size > capacity:
                    problems.append(f"len(cache) was {size} with capacity {capacity}")
            elif op == 5:
                check_row(p, cache.get_or_compute(p, lambda p=p: [p, "computed"]),
                          "get_or_compute")
            elif op == 6:
                with suppress(ModelDown):
                    cache.get_or_compute(p, _failing)
            elif rng.random() < 0.05:
                cache.invalidate_all()

    workers = [Worker(lambda seed=seed: work(seed), name=f"stress{seed}").start()
               for seed in range(threads)]
    for worker in workers:
        worker.wait("a stress thread", STRESS_SNIPPET, timeout=4 * TIMEOUT)
    if problems:
        raise AssertionError(repro_message(
            f"expected no broken invariant, got {len(problems)}, first: {problems[0]}",
            STRESS_SNIPPET))
    if len(cache) > capacity:
        raise AssertionError(repro_message(f"len(cache) > {capacity} after the run",
                                           STRESS_SNIPPET))
    cache.invalidate_all()
    if len(cache) != 0:
        raise AssertionError(repro_message(
            f"expected len 0 after invalidate_all, got {len(cache)}", STRESS_SNIPPET))


def _failing() -> list[str]:
    raise ModelDown("model unavailable")
