"""Cost-growth measurement for hidden performance checks.

A performance check never compares against a wall-clock budget: it times the same operation at a
small and a large size inside one process run and judges the ratio, so a busy machine slows both
sides alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Setup = Callable[[int], Callable[[], int]]
"""Builds a structure of the given size and returns a runner that performs operations on it and
returns how many it performed."""


def per_op_seconds(
    run: Callable[[], int], repeat: int = 5, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Best (lowest) seconds per operation over `repeat` calls of `run`; O(repeat * cost of run)."""
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        ops = run()
        elapsed = clock() - start
        best = min(best, elapsed / max(ops, 1))
    return best


def growth(setup: Setup, small: int, large: int, repeat: int = 5) -> float:
    """Ratio of per-operation cost at size `large` to the cost at size `small`.

    About 1 for an operation whose cost does not depend on size, about large/small for a linear one.
    The two sizes are measured alternately so that a burst of machine load hits both alike.
    """
    run_small, run_large = setup(small), setup(large)
    small_costs: list[float] = []
    large_costs: list[float] = []
    for _ in range(repeat):
        small_costs.append(per_op_seconds(run_small, repeat=1))
        large_costs.append(per_op_seconds(run_large, repeat=1))
    return min(large_costs) / min(small_costs)


def timed_steps(
    step: Callable[[int], object], count: int, seconds: float = 0.02, chunk: int = 100
) -> Callable[[], int]:
    """A runner calling ``step(0), step(1), ...`` (cycling below `count`) in chunks of `chunk`
    until `seconds` have passed; it returns how many steps it made. Its time is bounded even for
    a solution whose operations are slow at a large size."""

    def run() -> int:
        done = 0
        start = time.perf_counter()
        while True:
            base = done % count
            for n in range(base, base + chunk):
                step(n % count)
            done += chunk
            if time.perf_counter() - start >= seconds:
                return done

    return run
