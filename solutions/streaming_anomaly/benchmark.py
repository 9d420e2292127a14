"""Benchmarks: the reference detector against bare baselines, side by side in one run.

Run ``python solutions/streaming_anomaly/benchmark.py`` (needs the ``bench`` extra for pandas).
All three use Gaussian noise and a window of 1000 unless stated:

1. ``SlidingWindowDetector.update`` (validation, R1/R2 numerics, a method call per value) against a
   bare inline Welford loop (no validation, no function call, same decisions), 500,000 values.
   Target: the reference reaches >= 0.7x the loop's throughput.
2. ``detect_batch`` against pandas ``rolling(1000)`` mean and population std turned into the same
   z-score decisions, 2,000,000 values. Target: >= 1.0x pandas' speed.
3. Time per ``update`` with a window of 100,000 against a window of 10, 500,000 values each after
   the windows are full. Target: within 1.5x.

Importable without pandas: ``SIZES`` and ``PROBES`` let ``kata compare`` time any solution module
on the same workloads (each probe builds state of a size and returns a runner that performs a
batch of operations and returns how many).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType

import numpy as np

from kata.bench import load
from kata.measure import timed_steps

WINDOW = 1_000
THRESHOLD = 3.0
STREAM = 500_000
BATCH = 2_000_000
ROUNDS = 3

SIZES: tuple[int, int] = (100, 10_000)

Runner = Callable[[], int]

RUN_SECONDS = 0.02
CHUNK = 100


def _noise(count: int, seed: int) -> list[float]:
    return np.random.default_rng(seed).standard_normal(count).tolist()  # type: ignore[no-any-return]


def _timed(step: Callable[[int], object], count: int) -> Runner:
    """Steps in chunks of CHUNK for RUN_SECONDS; see kata.measure.timed_steps."""
    return timed_steps(step, count, RUN_SECONDS, CHUNK)


def probe_update(module: ModuleType, size: int) -> Runner:
    """``update`` on a full sliding window of `size` values (the main workload)."""
    detector = module.SlidingWindowDetector(window_size=size, threshold=THRESHOLD)
    for value in _noise(size, seed=1):
        detector.update(value)
    values = _noise(20_000, seed=2)
    update = detector.update
    return _timed(lambda n: update(values[n]), len(values))


def probe_time_update(module: ModuleType, size: int) -> Runner:
    """``TimeWindowDetector.update`` with `size` events in the window (one event per time unit)."""
    detector = module.TimeWindowDetector(horizon=float(size), threshold=THRESHOLD)
    for t, value in enumerate(_noise(size, seed=3)):
        detector.update(float(t), value)
    values = _noise(20_000, seed=4)
    clock = [float(size)]
    update = detector.update

    def step(n: int) -> None:
        update(clock[0], values[n])
        clock[0] += 1.0

    return _timed(step, len(values))


def probe_batch(module: ModuleType, size: int) -> Runner:
    """``detect_batch`` over 100,000 values with a window of `size`; counts values processed."""
    values = np.random.default_rng(5).standard_normal(100_000)

    def run() -> int:
        done = 0
        start = time.perf_counter()
        while True:
            module.detect_batch(values, size, THRESHOLD)
            done += len(values)
            if time.perf_counter() - start >= RUN_SECONDS:
                return done

    return run


PROBES: dict[str, Callable[[ModuleType, int], Runner]] = {
    "update (window of size)": probe_update,
    "time-window update (size events in window)": probe_time_update,
    "detect_batch (window of size)": probe_batch,
}


def _load_reference() -> ModuleType:
    return load(Path(__file__).with_name("solution.py"), "streaming_anomaly_reference")


def welford_inline(values: list[float], window: int, threshold: float) -> int:
    """The baseline: a bare inline Welford add/remove loop, no validation; returns #anomalies."""
    buffer: deque[float] = deque()
    mean = m2 = 0.0
    count = flagged = 0
    threshold_sq = threshold * threshold
    for x in values:
        if count == window:
            d = x - mean
            if d * d * count > threshold_sq * m2:
                flagged += 1
        buffer.append(x)
        count += 1
        d = x - mean
        mean += d / count
        m2 += d * (x - mean)
        if count > window:
            old = buffer.popleft()
            count -= 1
            d = old - mean
            mean -= d / count
            m2 -= d * (old - mean)
    return flagged


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _feed(detector: object, values: list[float]) -> int:
    update = detector.update  # type: ignore[attr-defined]
    flagged = 0
    for value in values:
        flagged += update(value)
    return flagged


def bench_update(reference: ModuleType) -> None:
    values = _noise(STREAM, seed=10)
    ours = theirs = float("inf")
    for _ in range(ROUNDS):
        detector = reference.SlidingWindowDetector(WINDOW, THRESHOLD)
        ours = min(ours, _seconds(partial(_feed, detector, values)))
        theirs = min(theirs, _seconds(lambda: welford_inline(values, WINDOW, THRESHOLD)))
    print(f"1. update(), window {WINDOW:,}, {STREAM:,} values (best of {ROUNDS})")
    print(f"   reference SlidingWindowDetector.update: {STREAM / ours:12,.0f} values/s")
    print(f"   bare inline Welford loop:               {STREAM / theirs:12,.0f} values/s")
    print(f"   ratio: {theirs / ours:.2f}x of the loop's throughput (target >= 0.7x)")


def bench_batch(reference: ModuleType) -> None:
    import pandas as pd

    values = np.random.default_rng(11).standard_normal(BATCH)

    def with_pandas() -> np.ndarray:
        series = pd.Series(values)
        rolling = series.rolling(WINDOW)
        mean = rolling.mean().shift(1)
        std = rolling.std(ddof=0).shift(1)
        return ((series - mean).abs() > THRESHOLD * std).to_numpy()  # type: ignore[no-any-return]

    ours = theirs = float("inf")
    for _ in range(ROUNDS):
        ours = min(ours, _seconds(lambda: reference.detect_batch(values, WINDOW, THRESHOLD)))
        theirs = min(theirs, _seconds(with_pandas))
    agree = int((reference.detect_batch(values, WINDOW, THRESHOLD) == with_pandas()).sum())
    print(f"2. detect_batch, window {WINDOW:,}, {BATCH:,} values (best of {ROUNDS})")
    print(f"   reference detect_batch:             {ours * 1e3:8.1f} ms")
    print(f"   pandas rolling mean/std z-scores:   {theirs * 1e3:8.1f} ms")
    print(
        f"   ratio: {theirs / ours:.2f}x pandas' speed (target >= 1.0x); "
        f"same decisions on {agree:,} of {BATCH:,} values"
    )


def bench_window_growth(reference: ModuleType) -> None:
    values = _noise(STREAM, seed=12)
    per_update: dict[int, float] = {}
    for window in (10, 100_000):
        detector = reference.SlidingWindowDetector(window, THRESHOLD)
        _feed(detector, _noise(window, seed=13))
        best = float("inf")
        for _ in range(ROUNDS):
            best = min(best, _seconds(partial(_feed, detector, values)))
        per_update[window] = best / STREAM
    ratio = per_update[100_000] / per_update[10]
    print(
        f"3. update() cost against window size, {STREAM:,} values after filling (best of {ROUNDS})"
    )
    print(f"   window 10:      {per_update[10] * 1e9:6.0f} ns per update")
    print(f"   window 100,000: {per_update[100_000] * 1e9:6.0f} ns per update")
    print(f"   ratio: {ratio:.2f}x (target within 1.5x)")


def main() -> None:
    """Print the three side-by-side comparisons with their ratios."""
    reference = _load_reference()
    bench_update(reference)
    bench_batch(reference)
    bench_window_growth(reference)


if __name__ == "__main__":
    main()
