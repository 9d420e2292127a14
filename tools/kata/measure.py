"""Cost-growth measurement for hidden performance checks and `kata compare`.

A performance check never compares against a wall-clock budget: it times the same operation at a
small and a large size inside one process run and judges the ratio, so a busy machine slows both
sides alike. The two sizes are measured alternately over several rounds and the median ratio is
taken, so a burst of load that hits one round does not decide; a check that sees a ratio over its
limit measures again before it fails (`judge_growth`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Setup = Callable[[int], Callable[[], int]]
"""Builds a structure of the given size and returns a runner that performs operations on it and
returns how many it performed."""

Clock = Callable[[], float]


def per_op_seconds(
    run: Callable[[], int], repeat: int = 5, clock: Clock = time.perf_counter
) -> float:
    """Best (lowest) seconds per operation over `repeat` calls of `run`; O(repeat * cost of run)."""
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        ops = run()
        elapsed = clock() - start
        best = min(best, elapsed / max(ops, 1))
    return best


def round_ratios(
    run_small: Callable[[], int],
    run_large: Callable[[], int],
    rounds: int = 7,
    clock: Clock = time.perf_counter,
) -> list[float]:
    """Per-round ratios of cost per operation (large / small), the two measured alternately and
    in alternating order (small first in even rounds, large first in odd ones). O(rounds) runs."""
    ratios = []
    for number in range(rounds):
        if number % 2 == 0:
            small = per_op_seconds(run_small, 1, clock)
            large = per_op_seconds(run_large, 1, clock)
        else:
            large = per_op_seconds(run_large, 1, clock)
            small = per_op_seconds(run_small, 1, clock)
        ratios.append(large / max(small, 1e-12))
    return ratios


def growth(
    setup: Setup, small: int, large: int, rounds: int = 7, clock: Clock = time.perf_counter
) -> float:
    """Median over `rounds` of the ratio of per-operation cost at size `large` to the cost at size
    `small`: about 1 for an operation whose cost does not depend on size, about large/small for a
    linear one."""
    return statistics.median(round_ratios(setup(small), setup(large), rounds, clock))


@dataclass
class Growth:
    """What `judge_growth` measured: every attempt's median ratio, and the verdict."""

    limit: float
    attempts: list[float] = field(default_factory=list)
    """The median ratio of each attempt, in order."""
    spreads: list[tuple[float, float]] = field(default_factory=list)
    """(lowest, highest) round ratio of each attempt."""

    @property
    def ratio(self) -> float:
        """The lowest median seen: the figure the verdict rests on."""
        return min(self.attempts)

    @property
    def passed(self) -> bool:
        return self.ratio < self.limit

    def describe(self) -> str:
        """The attempts in words, e.g. ``14.2x, then 13.8x (rounds 12.1-15.0x)``."""
        parts = [
            f"{median:.1f}x (rounds {low:.1f}-{high:.1f}x)"
            for median, (low, high) in zip(self.attempts, self.spreads, strict=True)
        ]
        return ", then ".join(parts)


def judge_growth(
    setup: Setup,
    small: int,
    large: int,
    limit: float,
    *,
    rounds: int = 7,
    attempts: int = 3,
    clock: Clock = time.perf_counter,
) -> Growth:
    """Measure the growth ratio (as `growth`) and, while it is at or over `limit`, measure again,
    up to `attempts` times in all; the verdict rests on the lowest median. A cost that really grows
    exceeds the limit in every attempt; load that inflated one attempt rarely inflates all.

    The structures are built once; O(attempts * rounds) runs of each size."""
    run_small, run_large = setup(small), setup(large)
    result = Growth(limit=limit)
    for _ in range(attempts):
        ratios = round_ratios(run_small, run_large, rounds, clock)
        result.attempts.append(statistics.median(ratios))
        result.spreads.append((min(ratios), max(ratios)))
        if result.passed:
            break
    return result


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
