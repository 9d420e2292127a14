"""Exact oracle for the streaming-anomaly kata: rules R1 and R2 in integer arithmetic.

Every finite double is an integer multiple of a power of two, so a window's sums are kept as
exact integers at a common binary scale (``X = x * 2**scale``; the scale only grows, and the
sums are shifted when it does). With ``n`` values, ``S1 = sum X`` and ``S2 = sum X**2``:

- ``V = n * S2 - S1**2`` is ``(n * 2**scale)**2`` times the population variance (>= 0, exact);
- ``A = n * X - S1`` is ``n * 2**scale`` times ``value - mean``;
- ``D > T``  iff  ``A**2 > threshold**2 * V``   (``D = |value - mean|``, ``T = threshold * std``).

R1: ``V == 0`` (all window values equal) -> the answer must be ``A != 0``, no tolerance, however
small the departure (subnormal values and signed zeros included: ``-0.0`` and ``0.0`` are the
same number, 0).
R2: otherwise an answer different from ``D > T`` is allowed iff
``|D - T| <= 1e-9 * (D + T) + 1e-12 * S + 1e-150`` (``S`` the largest ``|v|`` accepted so far,
this value included), decided exactly with ``fractions.Fraction`` (only ever needed on a
disagreement).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction

REL_TOL = Fraction(1, 10**9)
ABS_TOL = Fraction(1, 10**12)
FLOOR = Fraction(1, 10**150)


@dataclass(frozen=True)
class Verdict:
    """What the rules say about one value."""

    exact: bool  # D > T in exact arithmetic (False while warming up)
    warming_up: bool  # fewer than min_samples values in the window: the answer must be False
    constant: bool  # R1 applies: the answer must equal `exact`
    a: int = 0
    v: int = 0
    scale_n: int = 1  # n * 2**scale
    threshold: Fraction = Fraction(0)
    largest: Fraction = Fraction(0)
    window: tuple[float, ...] = ()

    def allows(self, answer: bool) -> bool:
        """Whether ``answer`` is acceptable under R1/R2."""
        if answer == self.exact:
            return True
        if self.warming_up or self.constant:
            return False
        d = Fraction(abs(self.a))
        slack = (ABS_TOL * self.largest + FLOOR) * self.scale_n  # abs*S + floor, scaled
        t_sq = self.threshold * self.threshold * self.v
        # D - T <= rel*(D+T) + slack   <=>  (1-rel)D - slack <= (1+rel)T
        left = (1 - REL_TOL) * d - slack
        first = left <= 0 or left * left <= (1 + REL_TOL) ** 2 * t_sq
        # T - D <= rel*(D+T) + slack   <=>  (1-rel)T <= (1+rel)D + slack
        right = (1 + REL_TOL) * d + slack
        second = (1 - REL_TOL) ** 2 * t_sq <= right * right
        return first and second

    def explain(self) -> str:
        """The window's exact statistics in words (for failure messages)."""
        if self.warming_up:
            return f"the window holds {len(self.window)} values, fewer than min_samples"
        n = len(self.window)
        mean = sum(Fraction(v) for v in self.window) / n
        var = sum((Fraction(v) - mean) ** 2 for v in self.window) / n
        std = float(var) ** 0.5
        dev = abs(float(Fraction(self.a, self.scale_n)))
        text = (
            f"exact mean {float(mean)!r}, population std {std!r}, "
            f"|value - mean| = {dev!r}, threshold * std = {float(self.threshold) * std!r}"
        )
        if self.constant:
            text += " (every window value is equal: rule R1)"
        return text


class ExactWindow:
    """Exact integer sums of a FIFO window of floats; O(1) per operation."""

    def __init__(self) -> None:
        self.values: deque[float] = deque()
        self.scale = 0
        self.s1 = 0
        self.s2 = 0

    def _scaled(self, x: float) -> int:
        p, q = float(x).as_integer_ratio()
        shift = q.bit_length() - 1
        if shift > self.scale:
            grow = shift - self.scale
            self.s1 <<= grow
            self.s2 <<= 2 * grow
            self.scale = shift
        return p << (self.scale - shift)

    def add(self, x: float) -> None:
        big = self._scaled(x)
        self.values.append(x)
        self.s1 += big
        self.s2 += big * big

    def remove_oldest(self) -> None:
        big = self._scaled(self.values.popleft())
        self.s1 -= big
        self.s2 -= big * big

    def verdict(
        self, x: float, threshold: float, min_samples: int, largest: float, keep_window: bool
    ) -> Verdict:
        """The rules' verdict on ``x`` against the current window."""
        n = len(self.values)
        window = tuple(self.values) if keep_window else ()
        if n < min_samples:
            return Verdict(exact=False, warming_up=True, constant=False, window=window)
        big = self._scaled(x)
        a = n * big - self.s1
        v = n * self.s2 - self.s1 * self.s1
        tp, tq = float(threshold).as_integer_ratio()
        exact = a * a * tq * tq > tp * tp * v
        return Verdict(
            exact=exact,
            warming_up=False,
            constant=v == 0,
            a=a,
            v=v,
            scale_n=n << self.scale,
            threshold=Fraction(tp, tq),
            largest=Fraction(largest),
            window=window,
        )


class SlidingOracle:
    """The rules for ``SlidingWindowDetector``; ``update`` is O(1) (exact integers)."""

    def __init__(
        self, window_size: int, threshold: float = 3.0, min_samples: int | None = None
    ) -> None:
        self.window_size = window_size
        self.threshold = threshold
        self.min_samples = window_size if min_samples is None else min_samples
        self.window = ExactWindow()
        self.largest = 0.0

    def update(self, value: float, keep_window: bool = True) -> Verdict:
        x = float(value)
        self.largest = max(self.largest, abs(x))
        verdict = self.window.verdict(
            x, self.threshold, self.min_samples, self.largest, keep_window
        )
        self.window.add(x)
        if len(self.window.values) > self.window_size:
            self.window.remove_oldest()
        return verdict


class TimeOracle:
    """The rules for ``TimeWindowDetector``: window ``now - horizon < ts <= now`` (exact)."""

    def __init__(self, horizon: float, threshold: float = 3.0, min_samples: int = 2) -> None:
        self.horizon = Fraction(horizon)
        self.threshold = threshold
        self.min_samples = min_samples
        self.window = ExactWindow()
        self.times: deque[Fraction] = deque()
        self.largest = 0.0

    def update(self, timestamp: float, value: float) -> Verdict:
        now = Fraction(timestamp)
        while self.times and self.times[0] <= now - self.horizon:
            self.times.popleft()
            self.window.remove_oldest()
        x = float(value)
        self.largest = max(self.largest, abs(x))
        verdict = self.window.verdict(x, self.threshold, self.min_samples, self.largest, True)
        self.times.append(now)
        self.window.add(x)
        return verdict
