"""Streaming anomaly detection over a sliding window (your solution).

A value is an anomaly when ``D = |value - mean| > T = threshold * std``, with the mean and the
population standard deviation of its window (see README.md for every clause).
"""

from __future__ import annotations


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
        """
        raise NotImplementedError
