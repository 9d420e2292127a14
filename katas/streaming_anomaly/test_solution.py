"""Starter tests: extend them. Small integers make the expected answers easy to work out by hand."""

from __future__ import annotations

import math

import pytest
from solution import SlidingWindowDetector, TimeWindowDetector, detect_batch


def test_a_value_far_from_the_window_mean_is_an_anomaly() -> None:
    detector = SlidingWindowDetector(window_size=4, threshold=3.0)
    for value in [10.0, 11.0, 10.0, 11.0]:  # mean 10.5, population std 0.5
        assert detector.update(value) is False  # still warming up
    assert detector.update(11.9) is False  # |11.9 - 10.5| = 1.4, not > 3 * 0.5 = 1.5
    assert detector.update(30.0) is True


def test_a_flat_line_after_a_spike_never_alarms() -> None:
    detector = SlidingWindowDetector(window_size=3, threshold=3.0)
    for value in [5.0, 5.0, 5.0, 1e12, 5.0, 5.0, 5.0]:
        detector.update(value)
    assert detector.update(5.0) is False  # the window [5, 5, 5] has std 0
    assert detector.update(5.5) is True


def test_a_nan_is_rejected_and_leaves_no_trace() -> None:
    detector = SlidingWindowDetector(window_size=2, threshold=1.0)
    detector.update(0.0)
    detector.update(2.0)
    with pytest.raises(ValueError):  # noqa: PT011 - any message will do
        detector.update(math.nan)
    assert detector.update(2.5) is True  # window [0, 2]: mean 1, std 1


def test_an_event_exactly_horizon_old_is_out_of_the_time_window() -> None:
    detector = TimeWindowDetector(horizon=10.0, threshold=3.0)
    detector.update(0.0, 100.0)
    detector.update(5.0, 0.0)
    detector.update(6.0, 1.0)
    assert detector.update(10.0, 20.0) is True  # window (0, 10]: [0, 1]; 100 at t=0 is out


def test_detect_batch_gives_the_detectors_answers() -> None:
    values = [10.0, 11.0, 10.0, 11.0, 12.0, 30.0]
    detector = SlidingWindowDetector(window_size=4)
    expected = [detector.update(v) for v in values]
    assert detect_batch(values, window_size=4).tolist() == expected
