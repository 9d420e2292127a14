"""A second, deliberately different correct solution: recompute every window from scratch.

Each decision takes the window's mean with ``math.fsum`` (correctly rounded) and its variance with
a second ``fsum`` pass over the squared deviations; a constant window is recognised directly
(``min == max``). That costs O(window) per update instead of O(1), but needs no running sums at
all, so it shows that the hidden checks accept any approach that meets rules R1/R2.
``detect_batch`` does the same two passes for every window at once with numpy. Values wider
than a double (``numpy.longdouble``) are kept exactly (as a ``Fraction``) for the constant-window
test and compared exactly as timestamps; the sums use their floats.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from fractions import Fraction
from numbers import Real

import numpy as np
import numpy.typing as npt

LIMIT = 1e12


def _value(value: object) -> float:
    if isinstance(value, bool | np.bool_):
        raise TypeError("a bool is not a measurement")
    if not isinstance(value, Real | np.integer | np.floating):
        raise TypeError(f"expected a real number, got {type(value).__name__}")
    if not abs(value) <= LIMIT:  # type: ignore[operator]
        raise ValueError(f"expected a finite value within 1e12, got {value!r}")
    return _exactly(value)


def _exactly(number: object) -> float | Fraction:
    """The float of a real number when that is exact, else the number as a Fraction."""
    x = float(number)  # type: ignore[arg-type]
    if x == number or not isinstance(number, np.floating):
        return x
    return Fraction(*number.as_integer_ratio())


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real | np.integer | np.floating):
        raise TypeError(f"{name} must be a number")
    result = float(value)
    if not (result > 0 and math.isfinite(result)):
        raise ValueError(f"{name} must be finite and positive")
    return result


def _count(name: str, value: object, low: int, high: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int")
    if not low <= value <= high:
        raise ValueError(f"{name} out of range")
    return int(value)


def _judge(window: Sequence[float | Fraction], x: float | Fraction, threshold: float) -> bool:
    """|x - mean| > threshold * std for a non-empty window, from scratch; O(len(window))."""
    if min(window) == max(window):
        return x != window[0]
    n = len(window)
    mean = math.fsum(map(float, window)) / n
    std = math.sqrt(math.fsum((float(v) - mean) ** 2 for v in window) / n)
    return abs(float(x) - mean) > threshold * std


class SlidingWindowDetector:
    def __init__(
        self, window_size: int, threshold: float = 3.0, min_samples: int | None = None
    ) -> None:
        self.size = _count("window_size", window_size, 2)
        self.threshold = _positive("threshold", threshold)
        self.needed = (
            self.size if min_samples is None else _count("min_samples", min_samples, 2, self.size)
        )
        self.window: deque[float | Fraction] = deque(maxlen=self.size)

    def update(self, value: object) -> bool:
        x = _value(value)
        verdict = len(self.window) >= self.needed and _judge(self.window, x, self.threshold)
        self.window.append(x)
        return verdict


class TimeWindowDetector:
    def __init__(self, horizon: float, threshold: float = 3.0, min_samples: int = 2) -> None:
        self.horizon = _positive("horizon", horizon)
        self.threshold = _positive("threshold", threshold)
        self.needed = _count("min_samples", min_samples, 2)
        self.events: deque[tuple[float | int | Fraction, float | Fraction]] = deque()

    def update(self, timestamp: object, value: object) -> bool:
        x = _value(value)
        if isinstance(timestamp, bool) or not isinstance(
            timestamp, Real | np.integer | np.floating
        ):
            raise TypeError("timestamp must be a number")
        if isinstance(timestamp, int | np.integer):
            t: float | int | Fraction = int(timestamp)  # any int is finite, and exact
        elif not np.isfinite(timestamp):
            raise ValueError("timestamp must be finite")
        else:
            t = _exactly(timestamp)
        if self.events and t < self.events[-1][0]:
            raise ValueError("timestamps must not decrease")
        while self.events and not Fraction(t) - Fraction(self.events[0][0]) < self.horizon:
            self.events.popleft()
        window = [v for _, v in self.events]
        verdict = len(window) >= self.needed and _judge(window, x, self.threshold)
        self.events.append((t, x))
        return verdict


def detect_batch(
    values: Sequence[float] | npt.ArrayLike,
    window_size: int,
    threshold: float = 3.0,
    min_samples: int | None = None,
) -> npt.NDArray[np.bool_]:
    size = _count("window_size", window_size, 2)
    thr = _positive("threshold", threshold)
    needed = size if min_samples is None else _count("min_samples", min_samples, 2, size)
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if raw.dtype == object:  # e.g. ints too large for int64: each checked like update's values
        raw = np.array([_value(v) for v in raw.tolist()], dtype=np.float64)
    if raw.size and raw.dtype.kind not in "iuf":
        raise TypeError(f"values must be real numbers, got dtype {raw.dtype}")
    xs = raw.astype(np.float64)
    exact = raw if raw.dtype.kind == "f" and raw.dtype.itemsize > 8 else xs  # long doubles
    if not np.isfinite(exact).all() or (np.abs(exact) > LIMIT).any():
        raise ValueError("values must be finite and within 1e12")
    n = len(xs)
    out = np.zeros(n, dtype=np.bool_)
    if n <= needed:
        return out
    size = min(size, n)  # a longer window holds the whole stream so far: the same answers
    # windows[i] = the size values before xs[i], padded in front with copies of xs[0]
    padded = np.concatenate([np.full(size, xs[0]), xs])
    windows = np.lib.stride_tricks.sliding_window_view(padded, size)[:n]
    exact_windows = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([np.full(size, exact[0]), exact]), size
    )[:n]
    counts = np.minimum(np.arange(n), size)
    cols = np.arange(size)
    step = max(128, 2**20 // size)  # rows per step: at least 128 (L4.3: blocks of many values)
    for lo in range(needed, n, step):  # chunks of windows, never one Python step per value
        hi = min(n, lo + step)
        win = windows[lo:hi]
        c = counts[lo:hi]
        valid = cols >= size - c[:, None]
        total = np.where(valid, win, 0.0).sum(axis=1)
        mean = total / c
        spread = np.where(valid, win - mean[:, None], 0.0)
        std = np.sqrt((spread * spread).sum(axis=1) / c)
        exact_win = exact_windows[lo:hi]
        high = np.where(valid, exact_win, -np.inf).max(axis=1)
        low = np.where(valid, exact_win, np.inf).min(axis=1)
        x = xs[lo:hi]
        out[lo:hi] = np.where(high == low, exact[lo:hi] != high, np.abs(x - mean) > thr * std)
    return out
