"""Which clause a wrong answer breaks: one small probe per clause, run only after a failure.

A check that sees a wrong answer asks `first_broken` which of the clauses it rests on fails a
probe: the smallest call sequence that shows the clause holding, written from the clause alone
and chosen so that the typical flaws of the *other* clauses leave its answers unchanged (each
probe's comment says why). Probes run in the order of the statement's dependencies (a value must
be accepted and answered with a bool before a warm-up can be seen, and so on); the first one that
fails names the cause, and the check then fails only if it cites that clause, and is otherwise
*not decided* (see anomaly_support.blame). Results are kept per grading process: the solution does
not change within one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import solution
from solution import SlidingWindowDetector

from kata.verdicts import NotDecided

SLIDING_ORDER = ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4", "L1.5", "L2.1")
"""The clauses a sliding-window decision rests on, in the order they are probed."""

TIME_ORDER = ("L1.6", "L1.3", "L1.2", "L1.4", "L3.1", "L3.3", "L3.2")
"""The clauses a time-window decision rests on, in the order they are probed: it decides like
the sliding detector (whose rule L1.4 is probed once its warm-up and window are known to hold)."""


class Broken(Exception):
    """A probe saw its clause broken."""


def _expect(got: object, expected: bool, text: str) -> None:
    if type(got) is not bool or got is not expected:
        raise Broken(f"{text}: expected {expected}, got {got!r}")


def _feed(detector: Any, values: Sequence[float]) -> list[object]:
    return [detector.update(v) for v in values]


def _sliding(values: Sequence[float], expected: Sequence[bool], *args: Any) -> None:
    answers = _feed(SlidingWindowDetector(*args), values)
    for value, got, want in zip(values, answers, expected, strict=True):
        _expect(got, want, f"SlidingWindowDetector{args!r} fed {list(values)!r}, at {value!r}")


def _probe_l1_1() -> None:
    # the parameters every probe uses are accepted; out-of-range ones raise ValueError
    for args in ((2,), (3,), (3, 3.0), (4, 3.0, 3), (4, 1.0, 3), (2, 1.2)):
        SlidingWindowDetector(*args)
    for args in ((1,), (3, 0.0), (3, -1.0), (3, math.nan), (3, math.inf), (3, 3.0, 4), (3, 3.0, 1)):
        try:
            SlidingWindowDetector(*args)
        except ValueError:
            continue
        raise Broken(f"SlidingWindowDetector{args!r} must raise ValueError")


def _probe_l1_6() -> None:
    # accepted values of each type, answered with a bool (not numpy.bool_)
    import numpy as np

    detector = SlidingWindowDetector(2)
    for value in (0.0, 1, np.float64(0.5), np.int64(1), np.float32(0.25)):
        got = detector.update(value)
        if type(got) is not bool:
            raise Broken(f"update({value!r}) returned {got!r} of type {type(got).__name__}")


def _probe_l1_3() -> None:
    # min_samples=3: two values are too few, three are enough. With threshold 1, 1e9 is far
    # out for either std, even were it part of its own window ([0, 1, 0, 1e9]: 1.7 std), and
    # the windows [0, 1] and [0, 1, 0] are not constant (R1 not involved)
    _sliding([0.0, 1.0, 1e9], [False, False, False], 4, 1.0, 3)
    _sliding([0.0, 1.0, 0.0, 1e9], [False, False, False, True], 4, 1.0, 3)


def _probe_l1_2() -> None:
    # window 3: [100, 0, 1, 0, 5]: 5 against [0, 1, 0] is an anomaly with the population or the
    # sample std, but not against [100, 0, 1, 0] (too long) or [1, 0, 5] (itself included).
    _sliding([100.0, 0.0, 1.0, 0.0, 5.0], [False] * 4 + [True], 3)
    # 1 against [10, 0, 0] is none (with either std), but against [0, 0] (too short) it is
    _sliding([10.0, 0.0, 0.0, 1.0], [False] * 4, 3)


def _probe_l1_4() -> None:
    # window [0, 2]: mean 1, population std 1 (sample std 1.41); |2.3 - 1| = 1.3 > 1.2 * 1
    _sliding([0.0, 2.0, 2.3], [False, False, True], 2, 1.2)


def _probe_l1_5() -> None:
    # 1000 is an anomaly and enters the window, so 50 against [1, 0, 1000] is none (were 1000
    # kept out, 50 against [0, 1, 0] would be one); either std gives these answers
    _sliding([0.0, 1.0, 0.0, 1000.0, 50.0], [False, False, False, True, False], 3)


def _probe_l1_7() -> None:
    # rejected values raise TypeError or ValueError and change no later answer
    import numpy as np

    detector = SlidingWindowDetector(3, 1.0, 2)
    for value in (0.0, 2.0):
        detector.update(value)
    for bad in (True, np.bool_(False), None, "1.0", math.nan, math.inf, 2e12, -(10**13)):
        try:
            detector.update(bad)
        except (TypeError, ValueError):
            continue
        raise Broken(f"update({bad!r}) must raise TypeError or ValueError")
    _expect(detector.update(2.5), True, "after rejected values, 2.5 against [0.0, 2.0]")


def _probe_l2_1() -> None:
    # rule R1: constant windows, a departure of 1 and of the smallest subnormal, a flat line
    _sliding([5.0, 5.0, 5.0, 6.0], [False, False, False, True], 3)
    _sliding([5.0, 5.0, 5.0, 5.0], [False] * 4, 3)
    _sliding([0.0, -0.0, 0.0, 5e-324], [False, False, False, True], 3)


def _probe_l2_2() -> None:
    # rule R2 where plain sums fail: a spread of 1e-3 at 1e9, and noise after a spike of 1e12
    # has left the window; every answer is judged by the exact oracle
    from anomaly_oracle import SlidingOracle

    offset = [1e9 + 1e-3 * k for k in (0, 1, -1, 0, 1, 2, -1, 0, 40, 0, 1, -1, 3)]
    spike = [0.0, 1.0, 0.0, 1e12, 0.5, 0.0, 0.25, 1.0, 0.5, 0.75, 3.0, 0.25, 0.0, 1.0]
    for window, values in ((4, offset), (3, spike)):
        detector, oracle = SlidingWindowDetector(window), SlidingOracle(window)
        for value in values:
            got = detector.update(value)
            if type(got) is not bool or not oracle.update(value).allows(got):
                raise Broken(
                    f"SlidingWindowDetector({window}) fed {values!r}: {got!r} at {value!r}"
                )


def _time(events: Sequence[tuple[float, float]], expected: Sequence[bool], *args: Any) -> None:
    detector = solution.TimeWindowDetector(*args)
    for (t, v), want in zip(events, expected, strict=True):
        _expect(detector.update(t, v), want, f"TimeWindowDetector{args!r} fed {list(events)!r}")


def _probe_l3_1() -> None:
    for args in ((10.0,), (10.0, 3.0, 2), (100.0, 3.0, 3), (1.0, 3.0, 2), (100.0, 1.0, 3)):
        solution.TimeWindowDetector(*args)


def _probe_l3_3() -> None:
    # warm-up (min_samples=3) and a far-out value, answered with bools; every event stays in
    # the window (horizon 100) and no window is constant (rule R1 is probed with L2.1)
    _time([(0.0, 0.0), (1.0, 1.0), (2.0, 1e9)], [False] * 3, 100.0, 1.0, 3)
    _time([(0.0, 0.0), (1.0, 1.0), (2.0, 0.0), (3.0, 1e9)], [False] * 3 + [True], 100.0, 1.0, 3)


def _probe_l3_2() -> None:
    # horizon 10: at t=13 the 100 of t=3 is out, so 20 against [1, 0, 1] is an anomaly; events
    # of the same timestamp share a window
    events = [(3.0, 100.0), (4.0, 1.0), (5.0, 0.0), (6.0, 1.0), (13.0, 20.0)]
    _time(events, [False, False, False, False, True], 10.0, 3.0, 2)
    _time([(5.0, 0.0), (5.0, 1.0), (5.0, 10.0)], [False, False, True], 1.0, 3.0, 2)


def _probe_l4_1() -> None:
    # the answers of a fresh detector, as a numpy array of bool ([0, 1, 0, 1000, 50], window 3)
    import numpy as np
    from solution import detect_batch

    got = detect_batch([0.0, 1.0, 0.0, 1000.0, 50.0], 3)
    expected = [False, False, False, True, False]
    if type(got) is not np.ndarray or got.dtype != np.dtype(np.bool_) or got.tolist() != expected:
        raise Broken(f"detect_batch([0.0, 1.0, 0.0, 1000.0, 50.0], 3) gave {got!r}")


PROBES: dict[str, Callable[[], None]] = {
    "L1.1": _probe_l1_1,
    "L1.6": _probe_l1_6,
    "L1.3": _probe_l1_3,
    "L1.2": _probe_l1_2,
    "L1.4": _probe_l1_4,
    "L1.5": _probe_l1_5,
    "L1.7": _probe_l1_7,
    "L2.1": _probe_l2_1,
    "L2.2": _probe_l2_2,
    "L3.1": _probe_l3_1,
    "L3.3": _probe_l3_3,
    "L3.2": _probe_l3_2,
    "L4.1": _probe_l4_1,
}

DEPENDS: dict[str, tuple[str, ...]] = {
    "L1.1": (),
    "L1.6": ("L1.1",),
    "L1.3": ("L1.1", "L1.6"),
    "L1.2": ("L1.1", "L1.6", "L1.3"),
    "L1.4": ("L1.1", "L1.6", "L1.3", "L1.2"),
    "L1.5": ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4"),
    "L1.7": ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4", "L1.5", "L2.1"),
    "L2.1": ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4", "L1.5"),
    "L2.2": ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4", "L1.5", "L2.1"),
    "L2.3": (),
    "L3.1": ("L1.1",),
    "L3.3": ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4", "L1.5", "L2.1", "L2.2", "L3.1"),
    "L3.2": ("L1.1", "L1.6", "L1.3", "L1.2", "L1.4", "L1.5", "L2.1", "L2.2", "L3.1", "L3.3"),
    "L3.4": (
        "L1.1",
        "L1.6",
        "L1.3",
        "L1.2",
        "L1.4",
        "L1.7",
        "L1.5",
        "L2.1",
        "L2.2",
        "L3.1",
        "L3.3",
        "L3.2",
    ),
    "L4.1": (),
    "L4.2": ("L1.1", "L4.1"),
    "L4.3": (),
}
"""Clause -> the clauses its checks rest on, in the order they are probed: a sliding decision
needs the values accepted and answered with bools (L1.6), the warm-up (L1.3) and the window
(L1.2) right before the rule (L1.4) can be seen; the time detector decides like the sliding one
(L1.4, R1, R2; the R2 probe uses the sliding detector, so L1.5 too) on top of its own parameters
and warm-up; detect_batch is its own code, compared with the oracle."""


def establish(cited: Iterable[str]) -> None:
    """Raise NotDecided for the first clause that a check of ``cited`` rests on (and does not
    itself cite) whose probe fails."""
    own = set(cited)
    # A check never rests on a clause of a later level than its own: in an interview that
    # clause is not stated yet, so it cannot be what the learner broke first.
    level = max((int(c[1 : c.index(".")]) for c in own), default=1)
    needed = {
        c
        for clause in own
        for c in DEPENDS.get(clause, ())
        if c not in own and int(c[1 : c.index(".")]) <= level
    }
    rests_on(*(c for c in PROBE_ORDER if c in needed))


def rests_on(*clauses: str) -> None:
    """Raise NotDecided for the first of ``clauses`` whose probe fails."""
    found = first_broken(clauses)
    if found is not None:
        raise NotDecided(found[0], reason=found[1])


PROBE_ORDER = (
    "L1.1",
    "L1.6",
    "L1.3",
    "L1.2",
    "L1.4",
    "L1.5",
    "L1.7",
    "L2.1",
    "L2.2",
    "L3.1",
    "L3.3",
    "L3.2",
    "L4.1",
)
"""Every probed clause, each after the clauses it rests on."""


@functools.cache
def broken(clause: str) -> str | None:
    """Why ``clause`` fails its probe, or None when the probe passes."""
    try:
        PROBES[clause]()
    except Broken as error:
        return str(error)
    except Exception as error:  # the solution raised: the probe's clause does not hold
        return f"{type(error).__name__}: {error}"
    return None


def first_broken(clauses: Iterable[str]) -> tuple[str, str] | None:
    """(clause, why) for the first of ``clauses`` whose probe fails, or None."""
    for clause in clauses:
        why = broken(clause)
        if why is not None:
            return clause, why
    return None
