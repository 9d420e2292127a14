"""Streaming anomaly detection over a sliding window (reference solution).

A value is an anomaly when it lies more than ``threshold`` population standard deviations away
from the mean of the values that came just before it (the window). Three entry points:

- ``SlidingWindowDetector``: the window is the last ``window_size`` accepted values.
- ``TimeWindowDetector``: the window is the accepted events of the last ``horizon`` time units.
- ``detect_batch``: the answers of a fresh ``SlidingWindowDetector`` for a whole array, vectorized.

Numerics (rules R1/R2 of the statement). Both detectors keep shifted sums ``s1 = sum(v - K)`` and
``s2 = sum((v - K)**2)`` around an anchor ``K`` and update them in O(1) when a value enters or
leaves. Removing values can leave those sums far less accurate than the spread of what remains
(a spike leaves the window, the level shifts away from the anchor), so every update also keeps a
worst-case bound on the rounding error accumulated since the sums were last computed from
scratch; when the bound is no longer small against the window's own spread, the sums are rebuilt
from the window (O(window), rare: see ``_Window``). R1 is exact: the bound makes a constant
window either have its sums rebuilt around its own value (both exactly 0) or hold values so
close together that its computed ``M2`` is below ``1e-280``; the one answer the sums can get
wrong there, a departure too small to square (the square underflows to 0), is settled by looking
at the window's trailing run of equal values (``-0.0 == 0.0``). ``detect_batch`` applies the
same ideas to whole arrays with numpy, deciding constant windows from run lengths.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_ABS_VALUE", "SlidingWindowDetector", "TimeWindowDetector", "detect_batch"]

MAX_ABS_VALUE: Final = 1e12
"""Accepted values satisfy ``abs(value) <= MAX_ABS_VALUE``."""

_UNIT: Final = 2.0**-53
"""Unit roundoff of IEEE-754 doubles: one rounding changes a result by at most this, relatively."""

_VAR_BUDGET: Final = 1e-9
"""Largest relative error of the window's variance a decision tolerates (moves T by <= 5e-10 T)."""

_MEAN_BUDGET: Final = 5e-10
"""Largest error of the window's mean, relative to ``threshold * std``. With the variance budget
this keeps a decision's error below ``1e-9 * T``, half of what R2 allows near ``D == T``."""

_REAL_TYPES: Final = (int, float, np.integer, np.floating)

_TINY_M2: Final = 1e-280
"""A constant window's computed ``M2`` is below this (exactly 0 once rebuilt): see ``_Window``."""


Exact = float | Fraction
"""A value or timestamp exactly: a float, or a Fraction where a float would round it (a
``numpy.longdouble`` wider than a double). Comparisons between them are exact."""


def _checked_value(value: object) -> float:
    """``value`` as a float if it is an accepted real number (L1.6), else raise (L1.7); O(1).

    The bounds are compared with the value itself, so a ``numpy.longdouble`` just above
    ``1e12`` that rounds to ``1e12`` as a float is rejected too."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, _REAL_TYPES):
        raise TypeError(f"value must be an int or float, got {type(value).__name__}")
    if not -MAX_ABS_VALUE <= value <= MAX_ABS_VALUE:  # also false for NaN
        raise ValueError(f"value must be finite with |value| <= 1e12, got {value!r}")
    return float(value)


def _exact(value: object, x: float) -> Exact:
    """The exact value of an accepted ``value`` whose float is ``x``: ``x`` itself, unless the
    float rounds it (only a ``numpy.longdouble`` can be wider than a double); O(1)."""
    if x == value or not isinstance(value, np.floating):
        return x
    return Fraction(*value.as_integer_ratio())


def _checked_timestamp(timestamp: object) -> Exact | int:
    """``timestamp`` exactly (a float where that is exact, else an int or a Fraction) if it is a
    finite real number of an accepted type (L3.4), else raise; O(1). Any int is finite: one too
    large for a float is kept as an int rather than overflowing."""
    if isinstance(timestamp, bool | np.bool_) or not isinstance(timestamp, _REAL_TYPES):
        raise TypeError(f"timestamp must be a number, got {type(timestamp).__name__}")
    if isinstance(timestamp, int | np.integer):
        whole = int(timestamp)
        return float(whole) if abs(whole) <= 2**53 else whole  # exact either way; no overflow
    if not np.isfinite(timestamp):
        raise ValueError(f"timestamp must be finite, got {timestamp!r}")
    return _exact(timestamp, float(timestamp))


def _checked_threshold(
    threshold: object, name: str = "threshold", low: float = 1e-3, high: float = 1e6
) -> float:
    """``threshold`` as a float if it is a number with ``low <= threshold <= high`` (L1.1: finite
    and > 0; the statement lets a detector reject values outside that range with ValueError,
    which keeps ``threshold**2`` far from underflow and overflow); O(1)."""
    if isinstance(threshold, bool | np.bool_) or not isinstance(threshold, _REAL_TYPES):
        raise TypeError(f"{name} must be a number, got {type(threshold).__name__}")
    if isinstance(threshold, int) and not low <= threshold <= high:  # huge ints: no float()
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {threshold}")
    result = float(threshold)
    if not (math.isfinite(result) and result > 0):
        raise ValueError(f"{name} must be finite and > 0, got {threshold!r}")
    if not low <= result <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {threshold!r}")
    return result


def _checked_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` if it is an int (not a bool) with ``low <= value <= high``; O(1)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    result = int(value)
    if result < low or (high is not None and result > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bound}, got {result}")
    return result


class _Window:
    """A FIFO window of values with shifted sums for its mean and variance, and R1/R2 decisions.

    ``values`` holds the window's exact values (see ``Exact``), oldest first; the sums use their
    floats (a ``Fraction`` minus a float is a float). Around the anchor ``K`` it keeps
    ``s1 = sum(v - K)`` and ``s2 = sum((v - K)**2)``; ``M2 = s2 - s1**2 / n`` is ``n`` times the
    population variance. Adding or removing a value is one *operation*. Since the sums were last
    rebuilt, each operation has changed ``s2`` by at most ``4u * peak`` of rounding (``u`` the
    unit roundoff, ``peak`` the largest ``s2`` since the rebuild) and ``s1`` by at most
    ``2u * sqrt(n_max * peak)``. ``_decide`` rebuilds the sums (O(n), numpy pairwise sums,
    anchored at the window value nearest the mean) whenever these bounds could move the variance
    by more than ``_VAR_BUDGET`` relatively or the mean by more than
    ``_MEAN_BUDGET * threshold * std``.

    A rebuild is needed only once the spread collapses by orders of magnitude (a spike or an old
    level leaves the window) or after some 10**5 operations, so its cost is O(1) amortized.

    R1: a constant window has true ``M2 = 0``, so whatever ``M2`` the sums yield is rounding
    noise, which the bound flags unless every partial sum since the rebuild is below about
    ``1e-283`` (where the bound's own products underflow); the rebuild anchors at the constant
    itself, making both sums exactly 0. So a constant window always has a computed
    ``M2 < _TINY_M2`` at decision time, and its only possible wrong answer is False for a value
    whose departure from ``c`` squares to 0 (below about ``1e-162``) or is lost when the value
    is rounded to a float (a ``numpy.longdouble``). ``_departs`` settles that case by comparing
    exact values along the trailing run of equal values; it runs only when the value differs
    from the newest one, which ends that run, so each value is scanned at most once (O(1)
    amortized).
    """

    __slots__ = (
        "_anchor",
        "_mean_limit",
        "_n_max",
        "_ops",
        "_peak",
        "_s1",
        "_s2",
        "_threshold_sq",
        "_values",
        "_var_limit",
    )

    def __init__(self, threshold: float) -> None:
        self._values: deque[Exact] = deque()
        self._threshold_sq = threshold * threshold
        self._anchor = 0.0
        self._s1 = 0.0
        self._s2 = 0.0
        self._ops = 0  # operations since the last rebuild (counting the rebuild's own rounding)
        self._peak = 0.0  # largest s2 since the last rebuild
        self._n_max = 0  # largest window size since the last rebuild
        # M2 is off by at most 12u * ops * peak * n_max / n (s2's share plus s1**2/n's share).
        self._var_limit = _VAR_BUDGET / (12 * _UNIT)
        # The mean is off by at most 2u * ops * sqrt(n_max * peak) / n.
        self._mean_limit = (_MEAN_BUDGET / (2 * _UNIT)) ** 2 * self._threshold_sq

    def _add(self, x: float, key: Exact) -> None:
        """Append the value ``key`` (``x`` as a float) as the newest value; O(1)."""
        values = self._values
        if not values:  # an empty window is an exact state: anchor at the first value
            self._anchor = x
            self._s1 = self._s2 = self._peak = 0.0
            self._ops = 1
            self._n_max = 0
        values.append(key)
        d = x - self._anchor
        self._s1 += d
        s2 = self._s2 + d * d
        self._s2 = s2
        self._peak = max(self._peak, s2)
        self._n_max = max(self._n_max, len(values))
        self._ops += 1

    def _remove_oldest(self) -> None:
        """Drop the oldest value; O(1)."""
        e = self._values.popleft() - self._anchor
        self._s1 -= e
        self._s2 -= e * e
        self._ops += 1

    def _decide(self, x: float, key: Exact) -> bool:
        """Whether the value ``key`` (``x`` as a float) is an anomaly against the (non-empty)
        window; O(1) amortized."""
        n = len(self._values)
        s1 = self._s1
        m2 = self._s2 - s1 * s1 / n
        ops_peak_n = self._ops * self._peak * self._n_max
        if (
            ops_peak_n > self._var_limit * m2 * n
            or ops_peak_n * self._ops > self._mean_limit * m2 * n
        ):
            self._rebuild()
            s1 = self._s1
            m2 = self._s2 - s1 * s1 / n
        dev = (x - self._anchor) - s1 / n
        # |x - mean| > threshold * sqrt(M2 / n), squared (both sides are >= 0).
        anomaly = dev * dev * n > self._threshold_sq * m2
        if not anomaly and m2 < _TINY_M2:  # maybe a constant window: R1 exactly
            return self._departs(key)
        return anomaly

    def _departs(self, key: Exact) -> bool:
        """Whether the window is constant and the exact value ``key`` differs from its value
        (R1); O(length of the trailing run of equal values), and O(1) when ``key`` equals the
        newest value."""
        values = self._values
        last = values[-1]
        if key == last:
            return False
        return all(value == last for value in reversed(values))  # stops at the first change

    def _rebuild(self) -> None:
        """Recompute the sums from the window around its value nearest the mean; O(n).

        numpy's pairwise sums put each term through at most ``19 + log2(n)`` roundings, so the
        operation count restarts at ``24 + log2(n)``, not 0, to keep the bound covering them.
        """
        values = self._values
        array = np.fromiter(values, dtype=np.float64, count=len(values))
        anchor = float(array[np.argmin(np.abs(array - array.mean()))])
        deviations = array - anchor
        self._anchor = anchor
        self._s1 = float(deviations.sum())
        self._s2 = self._peak = float((deviations * deviations).sum())
        self._ops = 24 + len(values).bit_length()
        self._n_max = len(values)


class SlidingWindowDetector(_Window):
    """Flags values far from the mean of the last ``window_size`` accepted values (Levels 1-2).

    ``update`` costs O(1) amortized and the detector holds O(window_size) memory.
    """

    __slots__ = (
        "_cutoff",
        "_floor",
        "_full",
        "_inverse_limit",
        "_min_samples",
        "_window_size",
        "threshold",
    )

    def __init__(
        self, window_size: int, threshold: float = 3.0, min_samples: int | None = None
    ) -> None:
        """Validate the parameters (L1.1): ``window_size >= 2``, ``threshold`` finite and > 0,
        ``2 <= min_samples <= window_size`` (default ``window_size``); else ``ValueError`` (or
        ``TypeError`` for a wrong type)."""
        self._window_size = _checked_int("window_size", window_size, 2)
        self.threshold = _checked_threshold(threshold)
        self._min_samples = (
            self._window_size
            if min_samples is None
            else _checked_int("min_samples", min_samples, 2, self._window_size)
        )
        super().__init__(self.threshold)
        # Once full, the window never shrinks (n == n_max) and an update is two operations whose
        # partial sums are at most s2 + d**2, so the bounds of _Window hold while
        #     sum over updates of (s2 + d**2)  <=  limit * M2
        # with this limit. The steady state keeps the left side divided by the limit in _floor,
        # so the check is a single comparison: M2 < _floor.
        limit = min(self._var_limit / 2, math.sqrt(self._mean_limit) / 2)
        self._inverse_limit = 1.0 / limit
        self._floor = 0.0
        self._full = False
        # |x - mean| > threshold * sqrt(M2 / n)  <=>  (x - mean)**2 > (threshold**2 / n) * M2
        self._cutoff = self._threshold_sq / self._window_size

    @property
    def window_size(self) -> int:
        """The number of previous values a decision looks at."""
        return self._window_size

    @property
    def min_samples(self) -> int:
        """How many values the window must hold before any value can be an anomaly."""
        return self._min_samples

    def update(self, value: float) -> bool:
        """Whether ``value`` is an anomaly against the previous ``window_size`` values; O(1) am.

        False while the window holds fewer than ``min_samples`` values (L1.3); otherwise
        ``|value - mean| > threshold * std`` with the population std (L1.4) under R1/R2 (L2.1,
        L2.2). The value then enters the window, anomaly or not (L1.5). A rejected value raises
        ``TypeError``/``ValueError`` before anything changes (L1.7).
        """
        key: Exact
        if type(value) is float and -1e12 <= value <= 1e12:  # fast path; literal MAX_ABS_VALUE
            x = key = value
        else:
            x = _checked_value(value)
            key = _exact(value, x)
        values = self._values
        if not self._full:  # still filling up
            n = len(values)
            anomaly = n >= self._min_samples and self._decide(x, key)
            self._add(x, key)
            if len(values) == self._window_size:  # full from now on: start the steady state
                self._floor = self._ops * self._peak * self._inverse_limit
                self._full = True
            return anomaly
        n = self._window_size
        # The steady state, inlined for speed: _decide, _add and _remove_oldest in one step.
        s1 = self._s1
        s2 = self._s2
        offset = s1 / n  # mean - anchor
        m2 = s2 - s1 * offset
        if m2 < self._floor:  # the rounding bound is no longer small against M2: rebuild
            self._rebuild()
            s1 = self._s1
            s2 = self._s2
            self._floor = self._ops * s2 * self._inverse_limit
            offset = s1 / n
            m2 = s2 - s1 * offset
        anchor = self._anchor
        d = x - anchor
        dev = d - offset
        anomaly = dev * dev > self._cutoff * m2
        if m2 < 1e-280 and not anomaly:  # maybe a constant window (R1); literal _TINY_M2
            anomaly = self._departs(key)
        values.append(key)
        e = values.popleft() - anchor
        s2 += d * d
        self._floor += s2 * self._inverse_limit
        self._s1 = s1 + d - e
        self._s2 = s2 - e * e
        return anomaly


class TimeWindowDetector(_Window):
    """Flags values far from the mean of the events of the last ``horizon`` time units (Level 3).

    The window of an event at time ``t`` is every accepted event with ``t - horizon < ts <= t``.
    ``update`` costs O(1) amortized (each event is evicted once); memory is O(events in window).
    """

    __slots__ = ("_horizon", "_min_samples", "_times", "threshold")

    def __init__(self, horizon: float, threshold: float = 3.0, min_samples: int = 2) -> None:
        """Validate the parameters (L3.1): ``horizon`` finite and > 0, ``threshold`` finite and
        > 0, ``min_samples`` an int >= 2; else ``ValueError`` (or ``TypeError``)."""
        self._horizon = _checked_threshold(horizon, "horizon", low=0.0, high=1e12)
        self.threshold = _checked_threshold(threshold)
        self._min_samples = _checked_int("min_samples", min_samples, 2)
        super().__init__(self.threshold)
        self._times: deque[Exact | int] = deque()

    @property
    def horizon(self) -> float:
        """How far back, in time units, the window reaches (exclusive)."""
        return self._horizon

    def update(self, timestamp: float, value: float) -> bool:
        """Whether ``value`` at ``timestamp`` is an anomaly against the time window; O(1) am.

        Raises ``ValueError``/``TypeError`` for a non-finite or decreasing timestamp or a
        rejected value, before evicting anything (L3.4). Timestamps are compared exactly (ints
        beyond ``2**53`` and ``numpy.longdouble`` included); the window's bound ``now -
        horizon`` is computed in floating point for a float timestamp (L3.2 allows it), exactly
        otherwise.
        """
        x = _checked_value(value)
        key = _exact(value, x)
        now = _checked_timestamp(timestamp)
        times = self._times
        if times and now < times[-1]:
            raise ValueError(f"timestamp {timestamp!r} is earlier than the last one {times[-1]!r}")
        horizon = self._horizon
        cutoff = now - horizon if isinstance(now, float) else Fraction(now) - Fraction(horizon)
        while times and times[0] <= cutoff:  # exactly `horizon` old is out (L3.2)
            times.popleft()
            self._remove_oldest()
        anomaly = len(times) >= self._min_samples and self._decide(x, key)
        times.append(now)
        self._add(x, key)
        return anomaly


# ----------------------------------------------------------------------------------------------
# Batch


def _checked_array(
    values: Sequence[float] | npt.ArrayLike,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.floating[Any]]]:
    """(``values`` as a 1-D float64 array, the exact values) if every value is accepted (L4.2);
    O(n). The exact values are the float64 array itself unless the input's dtype is wider than
    a double (``numpy.longdouble``), whose values are then also bounds-checked unrounded."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {array.shape}")
    if array.dtype == np.object_:  # e.g. ints beyond int64: judge each value as update() does
        result = np.array([_checked_value(v) for v in array.tolist()], dtype=np.float64)
        return result, result
    if array.dtype == np.bool_ or not (np.issubdtype(array.dtype, np.number) or array.size == 0):
        raise TypeError(f"values must be real numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError("values must be real numbers, got complex ones")
    result = np.asarray(array, dtype=np.float64)
    wide = np.issubdtype(array.dtype, np.floating) and array.dtype.itemsize > 8
    exact = array if wide else result
    if result.size and not np.abs(exact).max() <= MAX_ABS_VALUE:  # NaN fails too
        raise ValueError("values must be finite with |value| <= 1e12")
    return result, exact


_CHUNK: Final = 1 << 14
"""Elements per vectorized step of ``detect_batch``: small enough to stay in cache."""

_DIRECT_CHUNK: Final = 1 << 18
"""Elements per step of the direct recomputation of untrusted windows: large enough that even
windows of 16,384 values or more are recomputed many rows per step."""


def _window_moments_direct(
    xs: npt.NDArray[np.float64], ends: npt.NDArray[np.intp], counts: npt.NDArray[np.intp], w: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(value - mean, M2) for the windows ``xs[end - count:end]`` of ``xs[end]``; O(len * w).

    Two passes around the window's newest value, so the deviations are small and the sums are
    accurate to a few roundings of the window's own spread. Rows are processed in chunks to
    bound memory (a loop per chunk of rows, not per element).
    """
    padded = np.concatenate([np.zeros(w), xs])
    view = np.lib.stride_tricks.sliding_window_view(padded, w)  # row i covers xs[i - w:i]
    deviation = np.empty(len(ends))
    m2 = np.empty(len(ends))
    columns = np.arange(w)
    step = max(1, _DIRECT_CHUNK // w)
    for start in range(0, len(ends), step):
        rows = slice(start, start + step)
        anchors = xs[ends[rows] - 1]
        valid = columns >= (w - counts[rows])[:, None]
        dev = np.where(valid, view[ends[rows]] - anchors[:, None], 0.0)
        offsets = dev.sum(axis=1) / counts[rows]
        centred = np.where(valid, dev - offsets[:, None], 0.0)
        m2[rows] = np.einsum("ij,ij->i", centred, centred)
        deviation[rows] = (xs[ends[rows]] - anchors) - offsets
    return deviation, m2


def _trust_coefficient(
    count: float | npt.NDArray[np.float64],
    length: int | npt.NDArray[np.float64],
    threshold_sq: float,
) -> float | npt.NDArray[np.float64]:
    """``c``: a window's computed M2 is within budget when ``M2 > c * T2``; O(size of count).

    ``T2`` is the sum of squared deviations of the first ``length`` values of a segment, whose
    cumulative sums up to the window's end gave the window's sums. Sequential summation errs by
    at most ``u * t *`` (partial sum) after ``t`` terms, which bounds the window's ``s2`` error
    by about ``2 * length * u * T2`` and its ``s1`` error by ``2 * length * u *
    sqrt(length * T2)``.
    """
    spread = 2 * length + 1
    var_part = (spread + 6 + 2 * spread * np.sqrt(length / count)) * _UNIT / _VAR_BUDGET
    mean_part = (spread * _UNIT) ** 2 * length / (count * _MEAN_BUDGET**2 * threshold_sq)
    return np.maximum(var_part, mean_part)


def _typical(xs: npt.NDArray[np.float64]) -> float:
    """The median of five values spread over the non-empty ``xs``: a value of the data that a
    few spikes cannot move; O(1)."""
    return float(np.median(xs[np.linspace(0, len(xs) - 1, 5).astype(np.intp)]))


def _segment_decisions(
    padded: npt.NDArray[np.float64], w: int, block: int, thr_sq: float, *, anchor_span: int = 0
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """(answer, trusted) per block entry, from one cumulative sum per segment; O(len(padded)).

    ``padded`` holds ``w`` filler values, then the stream, then filler up to a whole number of
    blocks. Segment ``b`` is ``padded[b * block : b * block + w + block]``: the ``w`` values
    before block ``b``, then the block; entry ``j`` of the block has the window ``segment[j :
    j + w]``. Each segment's sums are taken around the median of five of its values (a spike is
    a poor anchor), spread over its first ``anchor_span`` values (default: all of them).
    ``trusted`` is False where the rounding bound, from the cumulative sums up to the window's
    end, is not small against the window's M2.
    """
    length = w + block
    segments = np.lib.stride_tricks.sliding_window_view(padded, length)[::block]
    blocks = len(segments)
    trusted = np.empty((blocks, block), dtype=np.bool_)
    answer = np.empty((blocks, block), dtype=np.bool_)
    rows = max(1, _CHUNK // length)
    # Both running sums in one pass: the real part accumulates y, the imaginary part y**2
    # (complex addition rounds each part exactly as a real addition would).
    z = np.empty((rows, length), dtype=np.complex128)
    c = np.zeros((rows, length + 1), dtype=np.complex128)  # c[:, t]: sums of the first t
    s1 = np.empty((rows, block))
    s2 = np.empty((rows, block))
    t = np.empty((rows, block))
    limit = np.empty((rows, block))
    ends = np.arange(w + 1, w + block + 1, dtype=np.float64)  # terms summed up to each window
    coefficient = _trust_coefficient(float(w), ends, thr_sq) * w
    probes = np.linspace(0, (anchor_span or length) - 1, 5).astype(np.intp)
    for first in range(0, blocks, rows):  # a cache-sized chunk of segments at a time
        seg = segments[first : first + rows]
        r = len(seg)
        y = z.real[:r]
        np.subtract(seg, np.median(seg[:, probes], axis=1, keepdims=True), out=y)
        np.multiply(y, y, out=z.imag[:r])
        np.cumsum(z[:r], axis=1, out=c[:r, 1:])
        a, b, dev = s1[:r], s2[:r], t[:r]
        np.subtract(c.real[:r, w:-1], c.real[:r, :block], out=a)  # window: segment[j : j + w]
        np.subtract(c.imag[:r, w:-1], c.imag[:r, :block], out=b)
        # With sums a, b over w values: w * M2 = w*b - a*a and w * (x - mean) = w*y - a, so
        # |x - mean| > threshold * std  <=>  (w*y - a)**2 > threshold**2 * (w*b - a*a).
        np.multiply(y[:, w:], float(w), out=dev)
        dev -= a
        dev *= dev
        a *= a
        b *= float(w)
        b -= a  # w * M2
        bound = limit[:r]
        np.multiply(c.imag[:r, w:-1], coefficient, out=bound)
        np.maximum(bound, _TINY_M2, out=bound)  # constant windows: below
        np.greater(b, bound, out=trusted[first : first + r])
        b *= thr_sq
        np.greater(dev, b, out=answer[first : first + r])
    return answer.ravel(), trusted.ravel()


def _first_window_decisions(
    padded: npt.NDArray[np.float64],
    w: int,
    block: int,
    thr_sq: float,
    *,
    answer: npt.NDArray[np.bool_],
    trusted: npt.NDArray[np.bool_],
) -> None:
    """Redo entries ``0 .. w-1``, whose windows are shorter: ``xs[:j]``, with sums taken around
    the median of five head values and trusted against the prefix's own spread; O(w)."""
    head = min(w, len(answer))
    count = np.maximum(np.arange(head, dtype=np.float64), 1.0)
    xs = padded[w : w + head]
    y0 = xs - _typical(xs)
    c1_0 = np.concatenate([[0.0], np.cumsum(y0)])[:head]
    c2_0 = np.concatenate([[0.0], np.cumsum(y0 * y0)])[:head]
    offset = c1_0 / count
    m2_0 = c2_0 - c1_0 * offset
    bound = _trust_coefficient(count, count, thr_sq) * c2_0
    trusted[:head] = m2_0 > np.maximum(bound, _TINY_M2)
    answer[:head] = (y0 - offset) ** 2 * count > thr_sq * m2_0


def _redecide(
    xs: npt.NDArray[np.float64],
    exact: npt.NDArray[np.floating[Any]],
    doubtful: npt.NDArray[np.intp],
    w: int,
    thr_sq: float,
    *,
    result: npt.NDArray[np.bool_],
) -> None:
    """Decide the untrusted entries exactly: R1 from run lengths of the ``exact`` values
    (``-0.0 == 0.0``); for long windows the rest first from segments that start at their own
    windows (``_resegmented``); what is still untrusted directly from its windows;
    O(len(xs) + len(doubtful) * w) at worst."""
    counts = np.minimum(doubtful, w)
    # R1: the window is constant iff no value changed within it.
    changes = np.flatnonzero(exact[1:] != exact[:-1]) + 1  # i where values[i] != values[i - 1]
    before = np.searchsorted(changes, doubtful - 1, side="right")  # changes <= i - 1
    latest = np.zeros_like(doubtful)  # the last change at or before i - 1 (0 if none)
    latest[before > 0] = changes[before[before > 0] - 1]
    constant = latest <= doubtful - counts
    flat = doubtful[constant]
    result[flat] = exact[flat] != exact[flat - 1]
    rest = doubtful[~constant]
    for _ in range(_RESEGMENTING_ROUNDS if w > _SHORT_WINDOW else 0):
        left = _resegmented(xs, rest, w, thr_sq, result=result)
        if len(left) == len(rest):
            break
        rest = left
    if len(rest):
        counts = np.minimum(rest, w)
        deviation, m2_direct = _window_moments_direct(xs, rest, counts, w)
        result[rest] = deviation * deviation * counts > thr_sq * m2_direct


_SHORT_WINDOW: Final = 2048
"""Windows up to this size are cut into blocks of 4 or 8 windows and recomputed directly when
untrusted; longer ones into blocks of one window, and re-segmented first."""

_RESEGMENTING_ROUNDS: Final = 4
"""At most this many rounds of ``_resegmented``: each starts the runs at the first entry the
previous round left untrusted, so a run that began at a disturbed window starts cleaner."""


def _resegmented(
    xs: npt.NDArray[np.float64],
    entries: npt.NDArray[np.intp],
    w: int,
    thr_sq: float,
    *,
    result: npt.NDArray[np.bool_],
) -> npt.NDArray[np.intp]:
    """Decide the untrusted ``entries`` again with blocks of ``w`` that start at the first of
    each run of them (runs closer than ``w`` are merged), so that what made them untrusted (a
    spike or a level shift before their windows) is outside the new segments, and anchoring
    each segment at a typical value of its first window; returns the
    entries still untrusted. One call of ``_segment_decisions`` for every run at once: the runs
    are laid out one after another, each behind its ``w`` preceding values; O(len(xs))."""
    head = entries[entries < w]  # windows shorter than w: left to the direct recomputation
    full = entries[entries >= w]
    if not len(full):
        return entries
    cut = np.flatnonzero(np.diff(full) > w) + 1
    starts = full[np.r_[0, cut]]
    blocks = -(-(full[np.r_[cut - 1, len(full) - 1]] + 1 - starts) // w)
    sizes = (blocks + 1) * w  # each run: its w preceding values, then its blocks
    offsets = np.cumsum(sizes) - sizes
    source = np.arange(int(sizes.sum())) + np.repeat(starts - w - offsets, sizes)
    padded = np.empty(w + len(source))
    padded[w:] = xs[np.minimum(source, len(xs) - 1)]  # past the end: filler, never in a window
    padded[:w] = padded[w : 2 * w]  # segment 0 decides nothing that is used
    answer, trusted = _segment_decisions(padded, w, w, thr_sq, anchor_span=w)
    run = np.searchsorted(starts, full, side="right") - 1
    where = offsets[run] + w + (full - starts[run])
    decided = trusted[where]
    result[full[decided]] = answer[where[decided]]
    return np.concatenate([head, full[~decided]])


def detect_batch(
    values: Sequence[float] | npt.ArrayLike,
    window_size: int,
    threshold: float = 3.0,
    min_samples: int | None = None,
) -> npt.NDArray[np.bool_]:
    """Element ``i``: what a fresh ``SlidingWindowDetector`` answers for ``values[i]`` (L4.1).

    Vectorized, O(n) for ordinary data. The values are cut into blocks of 1 to 8 windows;
    the windows of a block lie in a segment made of the block and the ``window_size`` values
    before it, so one cumulative sum per segment (around the value just before the block) gives
    every window's shifted sums by one subtraction. Segments are processed a cache-sized chunk
    at a time (a Python loop per chunk of blocks, never per element). Each window gets a
    worst-case bound on its rounding error; the rare windows whose bound is not small against
    their own spread, or whose computed spread is below ``1e-280`` (a constant window always
    is one of these, or both) are decided exactly from run lengths (R1: ``value != c``) or
    recomputed directly in O(window_size). ``ValueError`` for a non-1-D input, a non-finite or
    out-of-range value, or an out-of-range parameter; ``TypeError`` for a parameter or values of
    the wrong type (L4.2). A window longer than the input is cut to its length (same answers).
    """
    w = _checked_int("window_size", window_size, 2)
    thr = _checked_threshold(threshold)
    k = w if min_samples is None else _checked_int("min_samples", min_samples, 2, w)
    xs, exact = _checked_array(values)
    n = len(xs)
    if n <= k:
        return np.zeros(n, dtype=np.bool_)
    w = min(w, n)  # no window holds more than the n - 1 values before the last one
    thr_sq = thr * thr
    # Longer blocks share the w-value overlap among more windows but loosen the error bound.
    block = 8 * w if w <= 256 else 4 * w if w <= _SHORT_WINDOW else w
    blocks = -(-n // block)
    padded = np.empty(w + blocks * block)
    # Filler before and after the stream is never inside a window, but it is summed with the
    # first and last segments: a typical nearby value keeps it from loosening their bounds.
    padded[:w] = _typical(xs[:block])
    padded[w : w + n] = xs
    padded[w + n :] = _typical(xs[-block:])
    answer, trusted = _segment_decisions(padded, w, block, thr_sq)
    _first_window_decisions(padded, w, block, thr_sq, answer=answer, trusted=trusted)
    result = answer[:n]
    result[:k] = False
    doubtful = np.flatnonzero(~trusted[:n])
    doubtful = doubtful[doubtful >= k]
    if len(doubtful):
        _redecide(xs, exact, doubtful, w, thr_sq, result=result)
    return result
