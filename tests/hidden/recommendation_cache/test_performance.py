"""Cost growth: the same operations timed on a cache of 1,000 and of 100,000 entries, in one run.

Each check compares the per-operation cost at the two sizes (a ratio, not a time budget), with
`kata.measure.judge_growth`: the two sizes run in alternating rounds, the verdict rests on the
median ratio, and a ratio at or over the limit is measured again (up to ATTEMPTS times) before
the check fails, so load that hits one size harder than the other in one round decides nothing.
An operation whose cost does not depend on the cache size gives a ratio near 1 (the reference
gets 1.0-2.2 on a machine with 4 busy processes on 2 cores, see the kata's NOTES.md); one that
scans the cache gives about 100.
"""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Callable

import pytest
from rc_support import repro_message
from solution import RecommendationCache

from kata.measure import judge_growth, timed_steps

SMALL, LARGE = 200, 20_000
LIMIT = 10.0
ROUNDS = 7
ATTEMPTS = 3
BATCH = 50
RUN_SECONDS = 0.015

SNIPPET = """
import time
from solution import RecommendationCache

for size in ({small}, {large}):
    cache = RecommendationCache(capacity=size, ttl=3600.0)
    for i in range(size):
        cache.put(f"p{{i}}", [f"t{{i}}"])
    start = time.perf_counter()
    for n in range(2_000):
        {operation}
    print(size, (time.perf_counter() - start) / 2_000, "seconds per operation")
"""


def fill(size: int) -> RecommendationCache:
    """A cache of `size` entries, each listing one title of its own.

    No time limit is applied here: a solution whose put grows with the number of entries makes
    the check run out of time, which the grader reports as not decided (too slow) against the
    cost clauses, never as a wrong answer."""
    cache = RecommendationCache(capacity=size, ttl=3600.0)
    for i in range(size):
        cache.put(f"p{i}", [f"t{i}"])
    return cache


def timed_runner(step: Callable[[int], None]) -> Callable[[], int]:
    """A runner that calls `step(n)` in batches for about RUN_SECONDS and returns the count."""
    return timed_steps(step, 4096, RUN_SECONDS, BATCH)


def check_growth(setup: Callable[[int], Callable[[], int]], what: str, snippet: str) -> None:
    result = judge_growth(setup, SMALL, LARGE, LIMIT, rounds=ROUNDS, attempts=ATTEMPTS)
    if not result.passed:
        raise AssertionError(repro_message(
            f"{what}: expected the cost per call at {LARGE:,} entries to stay below {LIMIT:g}x "
            f"the cost at {SMALL:,} entries (median of {ROUNDS} alternating rounds, measured up "
            f"to {ATTEMPTS} times), got {result.describe()}", snippet))


def get_workload(size: int) -> Callable[[], int]:
    """Hits on a full cache of `size` entries."""
    cache = fill(size)
    # The same number of distinct profiles (SMALL) at both sizes, spread over the whole cache:
    # the calls differ only in how many entries the cache holds, not in how much memory they
    # touch.
    spread = [f"p{k * (size // SMALL)}" for k in range(SMALL)]
    keys = random.Random(size).choices(spread, k=4096)
    return timed_runner(lambda n: cache.get(keys[n & 4095]))


def put_workload(size: int) -> Callable[[], int]:
    """Puts into a full cache of `size` entries: half replace an entry, half bring a new
    profile in (an eviction)."""
    cache = fill(size)
    keys = [f"p{k}" for k in random.Random(size).choices(range(2 * size), k=4096)]
    rows = [[f"t{k}"] for k in range(4096)]
    return timed_runner(lambda n: cache.put(keys[n & 4095], rows[n & 4095]))


def invalidate_title_workload(size: int) -> Callable[[], int]:
    """invalidate_title of a title held by 3 entries of a cache of `size` entries (the holders
    are put back between two invalidations)."""
    cache = fill(size)
    holders = ["p1", "p2", "p3"]

    def step(n: int) -> None:
        if n % 2 == 0:
            for p in holders:
                cache.put(p, ["hot", f"t{p}"])
        else:
            cache.invalidate_title("hot")

    return timed_runner(step)


@pytest.mark.performance
@pytest.mark.clause("L2.5")
def test_get_cost_does_not_grow_with_the_number_of_entries() -> None:
    snippet = SNIPPET.format(
        small=SMALL, large=LARGE, operation=f"cache.get(f'p{{(n % {SMALL}) * (size // {SMALL})}}')")
    check_growth(get_workload, "get", snippet)


@pytest.mark.performance
@pytest.mark.clause("L2.5")
def test_put_cost_does_not_grow_with_the_number_of_entries() -> None:
    snippet = SNIPPET.format(small=SMALL, large=LARGE,
                             operation="cache.put(f'p{size + n}', ['t'])  # evicts one each time")
    check_growth(put_workload, "put", snippet)


@pytest.mark.performance
@pytest.mark.clause("L3.2")
def test_invalidate_title_cost_does_not_grow_with_the_number_of_entries() -> None:
    snippet = SNIPPET.format(
        small=SMALL, large=LARGE,
        operation="cache.put('p1', ['hot']); cache.put('p2', ['hot']); "
                  "cache.put('p3', ['hot']); cache.invalidate_title('hot')")
    check_growth(invalidate_title_workload, "invalidate_title of a title held by 3 entries",
                 snippet)


def main(times: int) -> None:
    """Print the ratio each check measures, `times` times (the figures in the kata's NOTES.md).
    Run from the repository root:

        PYTHONPATH=solutions/recommendation_cache:tests/hidden/recommendation_cache \\
            .venv/bin/python tests/hidden/recommendation_cache/test_performance.py 10
    """
    workloads = {"get": get_workload, "put": put_workload,
                 "invalidate_title": invalidate_title_workload}
    for name, workload in workloads.items():
        verdicts = []
        for _ in range(times):
            result = judge_growth(workload, SMALL, LARGE, LIMIT, rounds=ROUNDS, attempts=ATTEMPTS)
            verdicts.append(result.ratio)
            print(f"{name}: {result.describe()}", flush=True)
        print(f"{name}: verdict ratio over {times} runs: lowest {min(verdicts):.2f}, median "
              f"{statistics.median(verdicts):.2f}, highest {max(verdicts):.2f} (limit {LIMIT:g})",
              flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
