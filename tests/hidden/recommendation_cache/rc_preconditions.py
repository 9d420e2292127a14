"""Preconditions: a check that needs another clause to hold first establishes it.

Each clause here has a *probe*: the smallest call sequence that shows the clause holding, written
from the clause alone (the named checks test it thoroughly; the probe only has to be certain).
Before a check runs, the clauses it rests on are probed (`DEPENDS`, or the check's own
``@pytest.mark.needs(...)``); when one fails, the check raises `NotDecided` naming it instead of
failing under its own clause. So a solution whose entries are still fresh at exactly
``stored + ttl`` fails the L1.5 checks, and the L1.4, L1.6 and L2.2 checks, which read entries at
such instants, say "not decided: L1.5 fails first".

A probe only fails on an outcome the clause forbids whatever the machine does (its concurrent
probes follow the rules of test_level4.py), and a probe runs only once the probes of the clauses
it rests on have passed, so a failure names the clause that broke first. Results are kept per
grading process: the solution does not change within one.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from rc_support import (
    BlockingCompute,
    CountingCompute,
    FakeClock,
    Worker,
    promptly,
    same_value,
    settle,
    wait_limit,
)
from solution import RecommendationCache

from kata.verdicts import NotDecided

DEPENDS: dict[str, tuple[str, ...]] = {
    "L1.1": (),
    "L1.2": (),
    "L1.3": (),
    "L1.4": ("L1.2", "L1.5", "L1.6"),
    "L1.5": ("L1.2",),
    "L1.6": ("L1.2", "L1.5"),
    "L1.7": ("L1.2", "L1.5"),
    "L1.8": ("L1.2", "L1.5"),
    "L1.9": ("L1.5",),
    "L2.1": ("L1.2",),
    "L2.2": ("L1.2", "L1.5", "L1.6", "L2.1", "L2.3"),
    "L2.3": ("L1.2", "L2.1"),
    "L2.4": ("L1.2", "L2.1"),
    "L2.5": (),
    "L3.1": ("L1.2", "L1.4", "L1.5", "L1.8", "L2.1", "L2.2", "L2.3"),
    "L3.2": (),
    "L3.3": ("L1.2", "L3.1"),
    "L4.1": ("L1.2", "L2.1", "L2.3"),
    "L4.2": ("L1.2", "L1.4", "L1.5", "L1.6", "L2.1", "L2.3"),
    "L4.3": ("L1.2", "L2.1", "L4.2", "L4.4", "L4.5"),
    "L4.4": ("L1.2", "L4.2"),
    "L4.5": ("L1.2", "L4.2", "L4.4"),
    "L4.6": ("L1.2", "L4.2", "L4.4"),
    "L4.7": ("L1.2", "L4.2", "L4.6"),
}
"""Clause -> the clauses a check of it rests on (what its scenarios use to observe it)."""


class Failed(Exception):
    """A probe saw its clause broken."""


def _cache(capacity: int = 8, ttl: float = 10.0, start: float = 0.0
           ) -> tuple[RecommendationCache, FakeClock]:
    clock = FakeClock(start)
    return RecommendationCache(capacity, ttl, clock), clock


def _expect(ok: bool, text: str) -> None:
    if not ok:
        raise Failed(text)


def _titles(got: Any) -> Any:
    """A returned row as a tuple for comparing its content (its type is L1.2's business)."""
    try:
        return tuple(got)
    except TypeError:
        return got


def probe_snapshot() -> None:
    cache, _ = _cache()
    row = ["t1", "t2"]
    cache.put("p1", row)
    row.append("t3")
    got = cache.get("p1")
    # None is a freshness question (L1.5), not one of the snapshot.
    _expect(got is None or same_value(got, ("t1", "t2")),
            f"put('p1', ['t1', 't2']), then the list changed: get('p1') returned {got!r}, "
            "expected the tuple ('t1', 't2')")


def probe_boundary() -> None:
    for now, fresh in ((109.75, True), (110.0, False)):
        cache, clock = _cache(start=100.0)
        cache.put("p1", ["t1"])
        clock.now = now
        got = cache.get("p1")
        _expect((got is not None) == fresh,
                f"put at 100.0 with ttl 10.0: get at {now} returned {got!r}, expected "
                f"{'the row' if fresh else 'None'} (fresh while clock() < 110.0)")


def probe_restart() -> None:
    cache, clock = _cache()
    cache.put("p1", ["t1"])
    clock.now = 6.0
    cache.put("p1", ["t2"])
    clock.now = 12.25
    got = cache.get("p1")
    _expect(got is not None and _titles(got) == ("t2",),
            f"put at 0.0, put again at 6.0 with ttl 10.0: get at 12.25 returned {got!r}, "
            "expected ('t2',)")


def probe_reads_do_not_extend() -> None:
    cache, clock = _cache()
    cache.put("p1", ["t1"])
    for now in (3.0, 6.0, 9.75):
        clock.now = now
        cache.get("p1")
    clock.now = 10.25
    got = cache.get("p1")
    _expect(got is None, f"put at 0.0 with ttl 10.0, read at 3.0, 6.0 and 9.75: get at 10.25 "
                         f"returned {got!r}, expected None")


def probe_empty_row() -> None:
    cache, _ = _cache()
    cache.put("p1", [])
    got = cache.get("p1")
    _expect(got is not None, "put('p1', []): get('p1') returned None, expected ()")


def probe_invalidate() -> None:
    cache, clock = _cache()
    cache.put("p1", ["t1"])
    cache.put("p2", ["t2"])
    got = [cache.invalidate("p1"), cache.invalidate("p9")]
    clock.now = 10.25
    got.append(cache.invalidate("p2"))
    _expect([type(g) for g in got] == [bool] * 3 and got == [True, False, False],
            f"invalidate of a fresh entry, of a missing one, of one expired at 10.0 (at 10.25) "
            f"returned {got!r}, expected [True, False, False]")


def probe_len() -> None:
    cache, clock = _cache()
    cache.put("p1", ["t1"])
    clock.now = 2.0
    cache.put("p2", ["t2"])
    clock.now = 10.25
    got = len(cache)
    _expect(got == 1, f"entries stored at 0.0 and 2.0 with ttl 10.0: len at 10.25 was {got!r}, "
                      "expected 1")


def probe_capacity() -> None:
    cache, _ = _cache(capacity=2)
    for p in ("p1", "p2", "p3"):
        cache.put(p, [f"t-{p}"])
    size = len(cache)
    hits = [p for p in ("p1", "p2", "p3") if cache.get(p) is not None]
    _expect(size == 2 and len(hits) == 2,
            f"3 profiles put into a cache of capacity 2: len was {size!r} and {hits} hit, "
            "expected 2 of them")


def probe_lru() -> None:
    cache, _ = _cache(capacity=2)
    cache.put("p1", ["t1"])
    cache.put("p2", ["t2"])
    cache.get("p1")
    cache.put("p3", ["t3"])
    got = (cache.get("p2"), cache.get("p1"))
    _expect(got[0] is None and got[1] is not None,
            f"capacity 2: put p1, put p2, get p1, put p3: get p2 and p1 returned {got!r}, "
            "expected p2 evicted (None) and p1 kept")


def probe_expired_first() -> None:
    cache, clock = _cache(capacity=2)
    cache.put("p1", ["t1"])
    clock.now = 5.0
    cache.put("p2", ["t2"])
    clock.now = 6.0
    cache.get("p1")
    clock.now = 10.25
    cache.put("p3", ["t3"])
    got = cache.get("p2")
    _expect(got is not None, "capacity 2: p1 put at 0.0 and read at 6.0, p2 put at 5.0, p3 put "
                             "at 10.25 (p1 expired): p2 was evicted, expected the expired p1 to go")


def probe_replace_in_full_cache() -> None:
    cache, _ = _cache(capacity=2)
    cache.put("p1", ["t1"])
    cache.put("p2", ["t2"])
    cache.put("p2", ["t2b"])
    _expect(cache.get("p1") is not None,
            "capacity 2: put p1, put p2, put p2 again: p1 was evicted, expected no eviction")


def probe_invalidate_title() -> None:
    cache, clock = _cache()
    for p, row in (("p1", ["t1", "t2"]), ("p2", ["t3", "t1"]), ("p3", ["t3"]),
                   ("p4", ["t4"]), ("p5", ["t5"]), ("p6", ["t5"])):
        cache.put(p, row)
    cache.put("p4", ["t6"])
    cache.put("p5", ["t7"])
    got = [cache.invalidate_title(t) for t in ("t1", "t4", "t5")]
    rows = [cache.get(p) is not None for p in ("p1", "p2", "p3", "p4", "p5", "p6")]
    _expect(got == [2, 0, 1] and all(type(g) is int for g in got)
            and rows == [False, False, True, True, True, False],
            f"invalidate_title of t1 (2 holders), t4 (its holder replaced), t5 (one of its 2 "
            f"holders replaced) returned {got!r}, rows kept {rows}, expected [2, 0, 1] and only "
            "p3, p4, p5 kept")
    cache.put("p7", ["t8"])
    clock.now = 5.0
    cache.put("p8", ["t8"])
    clock.now = 10.25
    got_expired = cache.invalidate_title("t8")
    _expect(got_expired == 1, f"invalidate_title of a title held by an expired and a fresh entry "
                              f"returned {got_expired!r}, expected 1")


def probe_invalidate_all() -> None:
    cache, _ = _cache()
    cache.put("p1", ["t1"])
    cache.put("p2", ["t2"])
    cache.invalidate_all()
    got = (len(cache), cache.get("p1"))
    _expect(got == (0, None), f"after invalidate_all: len and get returned {got!r}, expected "
                              "(0, None)")


def _goc(cache: RecommendationCache, profile: str, compute: Callable[[], Any]) -> Any:
    worker = Worker(lambda: cache.get_or_compute(profile, compute)).start()
    if not worker.finished.wait(wait_limit(5.0)):
        raise Failed(f"get_or_compute({profile!r}, ...) did not return")
    if worker.error is not None:
        raise worker.error
    return worker.result


def probe_fresh_hit() -> None:
    cache, _ = _cache()
    cache.put("p1", ["t1"])
    compute = CountingCompute(["computed"])
    got = _goc(cache, "p1", compute)
    _expect(same_value(got, ("t1",)) and compute.calls == 0,
            f"get_or_compute of a fresh entry returned {got!r} after {compute.calls} compute "
            "calls, expected ('t1',) without calling compute")


def probe_miss() -> None:
    cache, _ = _cache()
    compute = CountingCompute(["t1", "t2"])
    got = [_goc(cache, "p1", compute), cache.get("p1")]
    _expect(all(same_value(g, ("t1", "t2")) for g in got),
            f"get_or_compute on a miss, then get, returned {got!r}, expected ('t1', 't2') twice")
    snippet = "(a get of another profile while p1's compute is blocked)"
    blocked = BlockingCompute(["t1"])
    leader = Worker(lambda: cache.get_or_compute("p9", blocked)).start()
    try:
        blocked.wait_started(snippet)
        promptly(lambda: cache.get("p1"), "cache.get('p1')", snippet)
    except AssertionError as error:
        raise Failed(str(error).split("\n")[0]) from error
    finally:
        blocked.release.set()
    leader.finished.wait(wait_limit(5.0))


def probe_single_flight() -> None:
    cache, _ = _cache()
    snippet = "(a second get_or_compute during a blocked compute)"
    blocked = BlockingCompute(["t1"])
    leader = Worker(lambda: cache.get_or_compute("p1", blocked)).start()
    early = 0
    lock = threading.Lock()

    def own() -> list[str]:
        nonlocal early
        if not blocked.release.is_set():
            with lock:
                early += 1
        return ["other"]

    try:
        blocked.wait_started(snippet)
        follower = Worker(lambda: cache.get_or_compute("p1", own)).start()
        settle([follower])
    finally:
        blocked.release.set()
    for worker in (leader, follower):
        worker.finished.wait(wait_limit(5.0))
    # A compute called before the release was certainly called while the first was in progress.
    _expect(early == 0, "a get_or_compute for p1 made while p1's compute was running called its "
                        "own compute, expected it to wait for the running one")


class _Down(Exception):
    pass


def probe_failure() -> None:
    cache, _ = _cache()

    def failing() -> list[str]:
        raise _Down("model unavailable")

    try:
        _goc(cache, "p1", failing)
        raise Failed("get_or_compute with a failing compute returned, expected its exception")
    except _Down:
        pass
    _expect(cache.get("p1") is None, "a failed compute stored a row")
    blocked = BlockingCompute(["t1"], error=_Down("model unavailable"))
    leader = Worker(lambda: cache.get_or_compute("p2", blocked)).start()
    try:
        blocked.wait_started("(a failing compute)")
        follower = Worker(lambda: cache.get_or_compute("p2", lambda: ["other"])).start()
        settle([follower])
    finally:
        blocked.release.set()
    for worker in (leader, follower):
        worker.finished.wait(wait_limit(5.0))
    # A follower either joined (and raises the exception) or came late and computed its own.
    _expect(isinstance(follower.error, _Down) or same_value(follower.result, ("other",)),
            f"a caller waiting on a failing compute got {follower.result!r}, expected the "
            "compute's exception")


def probe_discard() -> None:
    cache, _ = _cache()
    blocked = BlockingCompute(["t1"])
    leader = Worker(lambda: cache.get_or_compute("p1", blocked)).start()
    try:
        blocked.wait_started("(an invalidate during a blocked compute)")
        promptly(lambda: cache.invalidate("p1"), "cache.invalidate('p1')", "")
    except AssertionError as error:
        raise Failed(str(error).split("\n")[0]) from error
    finally:
        blocked.release.set()
    leader.finished.wait(wait_limit(5.0))
    got = cache.get("p1")
    _expect(got is None, f"invalidate during a compute: the result was stored ({got!r}), "
                         "expected it to be discarded")


PROBES: dict[str, Callable[[], None]] = {
    "L1.2": probe_snapshot,
    "L1.4": probe_restart,
    "L1.5": probe_boundary,
    "L1.6": probe_reads_do_not_extend,
    "L1.7": probe_empty_row,
    "L1.8": probe_invalidate,
    "L1.9": probe_len,
    "L2.1": probe_capacity,
    "L2.2": probe_expired_first,
    "L2.3": probe_lru,
    "L2.4": probe_replace_in_full_cache,
    "L3.1": probe_invalidate_title,
    "L3.3": probe_invalidate_all,
    "L4.1": probe_fresh_hit,
    "L4.2": probe_miss,
    "L4.4": probe_single_flight,
    "L4.5": probe_failure,
    "L4.6": probe_discard,
}


@functools.cache
def broken(clause: str) -> str:
    """Why `clause` fails its probe ("" when it holds, or when a clause it rests on fails)."""
    if clause not in PROBES or any(broken(c) for c in DEPENDS.get(clause, ()) if c != clause):
        return ""
    try:
        PROBES[clause]()
    except Failed as failure:
        return str(failure)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return ""


def closure(clauses: Iterable[str]) -> list[str]:
    """`clauses` and every clause they rest on, in statement order."""
    seen: set[str] = set()
    todo = list(clauses)
    while todo:
        clause = todo.pop()
        if clause not in seen:
            seen.add(clause)
            todo += DEPENDS.get(clause, ())
    return sorted(seen, key=lambda c: tuple(int(n) for n in c[1:].split(".")))


def establish(clauses: Iterable[str], cause: BaseException | None = None) -> None:
    """Raise NotDecided (from `cause`, the check's own failure) naming the first-failing clauses
    among `clauses` and what they rest on.

    Only a clause whose own preconditions hold is named, so the failure is the cause."""
    failing = [c for c in closure(clauses) if broken(c)]
    if failing:
        reason = "; ".join(broken(c) for c in failing)
        if cause is not None:
            own = str(cause).strip().split("\n")[0]
            reason += f" (and this check saw: {own})" if own else ""
        raise NotDecided(*failing, reason=reason) from cause


def preconditions(cited: Iterable[str], needs: Iterable[str] | None) -> list[str]:
    """What a check must establish: its ``needs`` marker when it has one, else what the clauses
    it cites rest on (never the cited clauses themselves: a check decides those)."""
    cited = list(cited)
    if needs is not None:
        return list(needs)
    return [c for c in closure(d for c in cited for d in DEPENDS.get(c, ())) if c not in cited]
