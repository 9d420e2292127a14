"""Starter tests: extend them. Small integers make the expected answers easy to work out by hand."""

from __future__ import annotations

import math

import pytest
from solution import SlidingWindowDetector


def test_a_value_far_from_the_window_mean_is_an_anomaly() -> None:
    detector = SlidingWindowDetector(window_size=4, threshold=3.0)
    for value in [10.0, 11.0, 10.0, 11.0]:  # mean 10.5, population std 0.5
        assert detector.update(value) is False  # still warming up
    assert detector.update(11.9) is False  # |11.9 - 10.5| = 1.4, not > 3 * 0.5 = 1.5
    assert detector.update(30.0) is True


def test_a_nan_is_rejected_and_leaves_no_trace() -> None:
    detector = SlidingWindowDetector(window_size=2, threshold=1.0)
    detector.update(0.0)
    detector.update(2.0)
    with pytest.raises(ValueError):  # noqa: PT011 - any message will do
        detector.update(math.nan)
    assert detector.update(2.5) is True  # window [0, 2]: mean 1, std 1
