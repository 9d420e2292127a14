"""Streaming anomaly detection over a sliding window (your solution).

A value is an anomaly when ``D = |value - mean| > T = threshold * std``, with the mean and the
population standard deviation of its window (see README.md for every clause).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class SlidingWindowDetector:
    """Flags values far from the mean of the last ``window_size`` accepted values."""

    def __init__(
        self, window_size: int, threshold: float = 3.0, min_samples: int | None = None
    ) -> None:
        """L1.1: ``window_size`` an int >= 2; ``threshold`` an int or float, finite and > 0;
        ``min_samples`` (default ``window_size``) an int with ``2 <= min_samples <= window_size``.
        Out of range: ``ValueError``; another type (float window size, bool, str, None):
        ``TypeError`` or ``ValueError``. No check passes numpy scalars as parameters, nor a
        threshold outside ``[1e-3, 1e6]`` (you may reject those with ``ValueError``)."""
        raise NotImplementedError

    def update(self, value: float) -> bool:
        """Whether ``value`` is an anomaly against the values before it, then add it.

        L1.2 the window is the last ``window_size`` accepted values before this one.
        L1.3 ``False`` while the window holds fewer than ``min_samples`` values.
        L1.4 otherwise ``True`` iff ``|value - mean| > threshold * std`` (population std).
        L1.5 the value then enters the window, anomaly or not; the oldest leaves when full.
        L1.6 accepts int, float and numpy real scalars, finite with ``abs(value) <= 1e12``.
        L1.7 rejects anything else (``ValueError``/``TypeError``), leaving no trace.
        L2.1 rule R1: a constant window of ``c`` answers exactly ``value != c``, however small
        the departure (``5e-324`` included; ``-0.0 == 0.0``).
        L2.2 rule R2: otherwise the answer may differ from exact ``D > T`` only when
        ``|D - T| <= 1e-9 * (D + T) + 1e-12 * S + 1e-150`` (``S`` = largest ``abs(v)``
        accepted so far, this value included).
        L2.3 O(1) amortized per update, whatever the window size (a window of 8192 must cost
        under 4x a window of 64 per update).
        """
        raise NotImplementedError


class TimeWindowDetector:
    """Flags values far from the mean of the events of the last ``horizon`` time units."""

    def __init__(self, horizon: float, threshold: float = 3.0, min_samples: int = 2) -> None:
        """L3.1: ``horizon`` and ``threshold`` ints or floats, finite and > 0, ``min_samples`` an
        int >= 2. Out of range: ``ValueError``; another type: ``TypeError`` or ``ValueError``.
        A threshold outside ``[1e-3, 1e6]`` or a horizon above ``1e12`` may be rejected too."""
        raise NotImplementedError

    def update(self, timestamp: float, value: float) -> bool:
        """Whether ``value`` at ``timestamp`` is an anomaly against its time window.

        L3.2 the window is every accepted event with ``timestamp - horizon < ts <= timestamp``
        (same-timestamp events in, an event exactly ``horizon`` old out; either floating-point
        form ``ts > timestamp - horizon`` or ``timestamp - ts < horizon`` is fine).
        L3.3 decides like ``SlidingWindowDetector.update`` (min_samples, R1, R2), then adds the
        event.
        L3.4 timestamps are numbers (as L1.6) and must not decrease; a decreasing or non-finite
        timestamp raises ``ValueError``, one of another type ``TypeError``/``ValueError``, a
        rejected value as L1.7; a rejected event leaves the detector unchanged (no eviction).
        """
        raise NotImplementedError


def detect_batch(
    values: Sequence[float] | npt.ArrayLike,
    window_size: int,
    threshold: float = 3.0,
    min_samples: int | None = None,
) -> npt.NDArray[np.bool_]:
    """The answers of a fresh ``SlidingWindowDetector`` for every value, vectorized.

    L4.1 element ``i`` is what a fresh detector answers for ``values[i]`` after ``values[:i]``
    (R1/R2 apply).
    L4.2 ``values``: a list of int/float numbers or a 1-D numpy array of an integer or float
    dtype (empty gives empty); NaN, inf, ``abs(v) > 1e12`` or a non-1-D input raise
    ``ValueError``; non-numbers ``TypeError``/``ValueError``; parameters as in L1.1.
    L4.3 numpy operations, no Python loop per value: on 100,000 values with ``window_size=100``
    at most ``n / 10 + 2,000`` lines of solution.py run (counted with ``sys.settrace``).
    """
    raise NotImplementedError
