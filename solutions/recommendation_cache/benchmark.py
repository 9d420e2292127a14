"""Benchmark: the reference RecommendationCache against cachetools.TTLCache, side by side.

Run ``python solutions/recommendation_cache/benchmark.py`` (needs the ``bench`` extra for
cachetools). The workload is the homepage read path: 90 % get / 10 % put over 10,000 profiles,
capacity 8,192, 10 titles per row, every operation through the public API. The reference does more
per put (a lock, a reverse title index) and must still reach >= 1.2x TTLCache's throughput.

Importable without cachetools: ``SIZES`` and ``PROBES`` let ``kata compare`` time any solution
module on the same workloads (each probe builds state of a size and returns a runner that performs
a batch of operations and returns how many).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from kata.bench import load
from kata.measure import timed_steps

PROFILES = 10_000
CAPACITY = 8_192
TITLES_PER_ROW = 10
CATALOGUE = 5_000
OPERATIONS = 200_000
PUT_SHARE = 0.1
ROUNDS = 5
TTL = 3_600.0

SIZES: tuple[int, int] = (1_000, 100_000)

Runner = Callable[[], int]


def _rows(count: int, per_row: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[f"title-{rng.randrange(CATALOGUE)}" for _ in range(per_row)] for _ in range(count)]


def _mix(profiles: int, count: int, seed: int) -> list[tuple[bool, int]]:
    """(is_put, profile index) pairs: PUT_SHARE puts, the rest gets, uniform over profiles."""
    rng = random.Random(seed)
    return [(rng.random() < PUT_SHARE, rng.randrange(profiles)) for _ in range(count)]


RUN_SECONDS = 0.02
CHUNK = 100


def _filled(module: ModuleType, size: int, capacity: int, per_row: int) -> tuple[Any, list[str]]:
    """A cache of `capacity` holding min(size, capacity) profiles (no eviction while filling),
    and the names of all `size` profiles."""
    cache = module.RecommendationCache(capacity, TTL)
    names = [f"profile-{i}" for i in range(size)]
    for name, row in zip(names[:capacity], _rows(size, per_row, seed=size), strict=False):
        cache.put(name, row)
    return cache, names


def _timed(step: Callable[[int], object], count: int) -> Runner:
    """Steps in chunks of CHUNK for RUN_SECONDS; see kata.measure.timed_steps."""
    return timed_steps(step, count, RUN_SECONDS, CHUNK)


def probe_mixed(module: ModuleType, size: int) -> Runner:
    """The main workload at `size` profiles: 90 % get / 10 % put, capacity 0.8192 * size."""
    capacity = max(1, size * CAPACITY // PROFILES)
    cache, names = _filled(module, size, capacity, TITLES_PER_ROW)
    rows = _rows(size, TITLES_PER_ROW, seed=size + 1)
    ops = [(is_put, names[i], rows[i]) for is_put, i in _mix(size, 20_000, seed=size)]
    get, put = cache.get, cache.put

    def step(n: int) -> None:
        is_put, name, row = ops[n]
        if is_put:
            put(name, row)
        else:
            get(name)

    return _timed(step, len(ops))


def probe_get(module: ModuleType, size: int) -> Runner:
    """Hits on a cache holding `size` entries."""
    cache, names = _filled(module, size, size, 1)
    keys = random.Random(size).choices(names, k=20_000)
    get = cache.get
    return _timed(lambda n: get(keys[n]), len(keys))


def probe_put(module: ModuleType, size: int) -> Runner:
    """Puts into a full cache of `size` entries: half replace an entry, half evict one."""
    cache, _ = _filled(module, size, size, 1)
    rng = random.Random(size)
    ops = [(f"profile-{rng.randrange(2 * size)}", [f"title-{n}"]) for n in range(10_000)]
    put = cache.put
    return _timed(lambda n: put(*ops[n]), len(ops))


def probe_invalidate_title(module: ModuleType, size: int) -> Runner:
    """Alternately: put 3 profiles listing a "hot" title; invalidate_title("hot")."""
    cache, _ = _filled(module, size, size, 1)
    put, invalidate_title = cache.put, cache.invalidate_title

    def step(n: int) -> None:
        if n % 2:
            invalidate_title("hot")
        else:
            put("hot-1", ["hot", "a"])
            put("hot-2", ["hot", "b"])
            put("hot-3", ["b", "hot"])

    return _timed(step, 2)


PROBES: dict[str, Callable[[ModuleType, int], Runner]] = {
    "90% get / 10% put": probe_mixed,
    "get": probe_get,
    "put (replace or evict)": probe_put,
    "invalidate_title (3 holders)": probe_invalidate_title,
}


def _load_reference() -> ModuleType:
    return load(Path(__file__).with_name("solution.py"), "recommendation_cache_reference")


def _throughput(
    get: Callable[[str], object],
    put: Callable[[str, list[str]], None],
    ops: list[tuple[bool, str, list[str]]],
) -> float:
    start = time.perf_counter()
    for is_put, name, row in ops:
        if is_put:
            put(name, row)
        else:
            get(name)
    return len(ops) / (time.perf_counter() - start)


def main() -> None:
    """Print the reference's and TTLCache's throughput on the same operations, and the ratio."""
    from cachetools import TTLCache

    reference = _load_reference()
    names = [f"profile-{i}" for i in range(PROFILES)]
    initial = _rows(PROFILES, TITLES_PER_ROW, seed=1)
    updates = _rows(PROFILES, TITLES_PER_ROW, seed=2)
    ops = [(is_put, names[i], updates[i]) for is_put, i in _mix(PROFILES, OPERATIONS, seed=3)]

    best_ref = best_ttl = 0.0
    for _ in range(ROUNDS):
        ours = reference.RecommendationCache(CAPACITY, TTL)
        for name, row in zip(names, initial, strict=True):
            ours.put(name, row)
        best_ref = max(best_ref, _throughput(ours.get, ours.put, ops))

        theirs: TTLCache[str, tuple[str, ...]] = TTLCache(CAPACITY, TTL)

        def ttl_put(name: str, row: list[str], cache: Any = theirs) -> None:
            cache[name] = tuple(row)  # the same snapshot the reference takes

        for name, row in zip(names, initial, strict=True):
            ttl_put(name, row)
        best_ttl = max(best_ttl, _throughput(theirs.get, ttl_put, ops))

    print(
        f"workload: {OPERATIONS:,} ops, {1 - PUT_SHARE:.0%} get / {PUT_SHARE:.0%} put, "
        f"{PROFILES:,} profiles, capacity {CAPACITY:,}, {TITLES_PER_ROW} titles per row "
        f"(best of {ROUNDS} rounds)"
    )
    print(f"reference RecommendationCache: {best_ref:12,.0f} ops/s")
    print(f"cachetools.TTLCache:           {best_ttl:12,.0f} ops/s")
    print(f"ratio: {best_ref / best_ttl:.2f}x (target >= 1.2x)")


if __name__ == "__main__":
    main()
