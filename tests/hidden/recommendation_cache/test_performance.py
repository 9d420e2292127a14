"""Cost growth: the same operations timed on a cache of 1,000 and of 100,000 entries, in one run.

Each check compares the per-operation cost at the two sizes (a ratio, not a time budget). An
operation whose cost does not depend on the cache size gives a ratio near 1; one that scans the
cache gives about 100. The thresholds are generous.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
from rc_support import repro_message
from solution import RecommendationCache

from kata.measure import growth, timed_steps

SMALL, LARGE = 1_000, 100_000
LIMIT = 10.0
BATCH = 50
RUN_SECONDS = 0.015

SNIPPET = """
import time
from solution import RecommendationCache

for size in (1_000, 100_000):
    cache = RecommendationCache(capacity=size, ttl=3600.0)
    for i in range(size):
        cache.put(f"p{{i}}", [f"t{{i}}"])
    start = time.perf_counter()
    for n in range(2_000):
        {operation}
    print(size, (time.perf_counter() - start) / 2_000, "seconds per operation")
"""


class Filler:
    """Builds caches of a given size and fails early when filling is far slower per put at the
    large size than at the small one (a put whose cost grows with the size)."""

    def __init__(self, snippet: str) -> None:
        self.snippet = snippet
        self.per_put: float | None = None

    def fill(self, size: int) -> RecommendationCache:
        cache = RecommendationCache(capacity=size, ttl=3600.0)
        budget = None if self.per_put is None else 2.0 + 20 * self.per_put * size
        start = time.perf_counter()
        for i in range(size):
            cache.put(f"p{i}", [f"t{i}"])
            if budget is not None and i % 1000 == 999 and time.perf_counter() - start > budget:
                raise AssertionError(repro_message(
                    f"filling a cache of {size} entries: expected about {self.per_put * size:.2f}"
                    f" s (20x allowed), got over {budget:.1f} s after {i + 1} puts - put cost "
                    "grows with the number of entries", self.snippet))
        if self.per_put is None:
            self.per_put = (time.perf_counter() - start) / size
        return cache


def timed_runner(step: Callable[[int], None]) -> Callable[[], int]:
    """A runner that calls `step(n)` in batches for about RUN_SECONDS and returns the count."""
    return timed_steps(step, 4096, RUN_SECONDS, BATCH)


def check_growth(setup: Callable[[int], Callable[[], int]], what: str, snippet: str) -> None:
    ratio = growth(setup, SMALL, LARGE)
    if ratio >= LIMIT:
        raise AssertionError(repro_message(
            f"{what}: expected the cost per call at {LARGE:,} entries to stay within {LIMIT:g}x "
            f"of the cost at {SMALL:,} entries, got {ratio:.1f}x", snippet))


@pytest.mark.performance
@pytest.mark.clause("L2.5")
def test_get_cost_does_not_grow_with_the_number_of_entries() -> None:
    snippet = SNIPPET.format(operation="cache.get(f'p{n % size}')")
    filler = Filler(snippet)

    def setup(size: int) -> Callable[[], int]:
        cache = filler.fill(size)
        keys = [f"p{k}" for k in random.Random(size).choices(range(size), k=4096)]
        return timed_runner(lambda n: cache.get(keys[n & 4095]))

    check_growth(setup, "get", snippet)


@pytest.mark.performance
@pytest.mark.clause("L2.5")
def test_put_cost_does_not_grow_with_the_number_of_entries() -> None:
    snippet = SNIPPET.format(operation="cache.put(f'p{size + n}', ['t'])  # evicts one each time")
    filler = Filler(snippet)

    def setup(size: int) -> Callable[[], int]:
        cache = filler.fill(size)
        rng = random.Random(size)
        # Half replace an entry, half bring a new profile into the full cache (an eviction).
        keys = [f"p{k}" for k in rng.choices(range(2 * size), k=4096)]
        rows = [[f"t{k}"] for k in range(4096)]
        return timed_runner(lambda n: cache.put(keys[n & 4095], rows[n & 4095]))

    check_growth(setup, "put", snippet)


@pytest.mark.performance
@pytest.mark.clause("L3.2")
def test_invalidate_title_cost_does_not_grow_with_the_number_of_entries() -> None:
    snippet = SNIPPET.format(
        operation="cache.put('p0', ['hot']); cache.put('p1', ['hot']); "
                  "cache.invalidate_title('hot')")
    filler = Filler(snippet)

    def setup(size: int) -> Callable[[], int]:
        cache = filler.fill(size)
        holders = ["p1", "p2", "p3"]

        def step(n: int) -> None:
            if n % 2 == 0:
                for p in holders:
                    cache.put(p, ["hot", f"t{p}"])
            else:
                cache.invalidate_title("hot")

        return timed_runner(step)

    check_growth(setup, "invalidate_title of a title held by 3 entries", snippet)
