"""Level 1: the sliding-window detector (parameters, warm-up, decision rule, accepted values)."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
import pytest
from anomaly_oracle import SlidingOracle
from anomaly_probes import rests_on
from anomaly_support import (
    Transcript,
    blame,
    check_bool,
    check_drawn_stream,
    check_sliding_stream,
    fail,
    noise_with_spikes,
    sliding_cause,
    small_integer_streams,
    window_params,
)
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from solution import SlidingWindowDetector

# ---------------------------------------------------------------------------------------------
# L1.1 parameters


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_size": 1},
        {"window_size": 0},
        {"window_size": -5},
        {"window_size": 10, "threshold": 0.0},
        {"window_size": 10, "threshold": -1.0},
        {"window_size": 10, "threshold": math.nan},
        {"window_size": 10, "threshold": math.inf},
        {"window_size": 10, "min_samples": 1},
        {"window_size": 10, "min_samples": 11},
        {"window_size": 3, "min_samples": 0},
    ],
    ids=repr,
)
def test_invalid_parameters_are_rejected_with_value_error(kwargs: dict[str, Any]) -> None:
    try:
        SlidingWindowDetector(**kwargs)
    except (ValueError, TypeError) as error:
        if not isinstance(error, ValueError):
            fail(
                f"SlidingWindowDetector({kwargs}) must raise ValueError, got {error!r}",
                f"from solution import SlidingWindowDetector\nSlidingWindowDetector(**{kwargs!r})",
            )
        return
    fail(
        f"SlidingWindowDetector({kwargs}) must raise ValueError, but it was accepted",
        f"from solution import SlidingWindowDetector\nSlidingWindowDetector(**{kwargs!r})",
    )


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_size": 2.5},
        {"window_size": "10"},
        {"window_size": None},
        {"window_size": True},
        {"window_size": 10, "threshold": "3"},
        {"window_size": 10, "threshold": None},
        {"window_size": 10, "min_samples": 2.0},
    ],
    ids=repr,
)
def test_parameters_of_the_wrong_type_are_rejected(kwargs: dict[str, Any]) -> None:
    snippet = (
        "from solution import SlidingWindowDetector\n"
        f"SlidingWindowDetector(**{kwargs!r})  # expected TypeError or ValueError"
    )
    try:
        SlidingWindowDetector(**kwargs)
    except (TypeError, ValueError):
        return
    except Exception as error:
        fail(
            f"SlidingWindowDetector({kwargs}) must raise TypeError or ValueError, got {error!r}",
            snippet,
        )
    fail(
        f"SlidingWindowDetector({kwargs}) must raise TypeError or ValueError, but it was accepted",
        snippet,
    )


@pytest.mark.clause("L1.1")
def test_the_defaults_are_threshold_3_and_min_samples_equal_to_the_window_size() -> None:
    # L1.1: threshold=3.0, min_samples defaults to window_size. Window [0, 2] (mean 1, std 1):
    # 3.9 is 2.9 std away and 4.1 is 3.1 std away; with window_size 2 the third value is the
    # first one decided, and with window_size 3 it is still in the warm-up.
    for value, expected in ((3.9, False), (4.1, True)):
        for window, answer in ((2, expected), (3, False)):
            d = SlidingWindowDetector(window)
            got = [d.update(v) for v in (0.0, 2.0, value)]
            if got[-1] is not answer:
                rests_on("L1.6", "L1.3", "L1.2", "L1.4")  # what the defaults are observed by
                fail(
                    f"L1.1: SlidingWindowDetector({window}) (threshold 3.0 and min_samples "
                    f"{window} by default) fed [0.0, 2.0, {value}] answered {got[-1]!r} for "
                    f"{value}, expected {answer}",
                    "from solution import SlidingWindowDetector\n"
                    f"d = SlidingWindowDetector({window})\n"
                    f"print([d.update(v) for v in [0.0, 2.0, {value}]])  # last: {answer}",
                )


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_size": 2},
        {"window_size": 2, "min_samples": 2},
        {"window_size": 7, "threshold": 0.001, "min_samples": 7},
        {"window_size": 100, "threshold": 1e6, "min_samples": 2},
        {"window_size": 5, "threshold": 2},
    ],
    ids=repr,
)
def test_valid_parameters_are_accepted(kwargs: dict[str, Any]) -> None:
    try:
        SlidingWindowDetector(**kwargs)
    except Exception as error:
        fail(
            f"SlidingWindowDetector({kwargs}) is valid but raised {error!r}",
            f"from solution import SlidingWindowDetector\nSlidingWindowDetector(**{kwargs!r})",
        )


# ---------------------------------------------------------------------------------------------
# L1.2 - L1.5 the decision


@pytest.mark.clause("L1.3")
@given(params=window_params())
def test_no_value_is_an_anomaly_before_min_samples_values(
    params: tuple[int, float, int | None],
) -> None:
    window, threshold, min_samples = params
    warm = window if min_samples is None else min_samples
    alternating = [float(i % 2) for i in range(warm)]
    # one value short of min_samples: must be False however far off the value is
    check_sliding_stream(
        SlidingWindowDetector,
        [*alternating[:-1], 1e9],
        window,
        threshold=threshold,
        min_samples=min_samples,
        clause="L1.3",
    )
    # exactly min_samples values: now it is decided (and 1e9 is far out)
    check_sliding_stream(
        SlidingWindowDetector,
        [*alternating, 1e9],
        window,
        threshold=threshold,
        min_samples=min_samples,
        clause="L1.3",
    )


def per_clause(*clauses: str) -> list[Any]:
    """One check per clause for a property that several clauses decide: each part fails only
    for a wrong answer that breaks its own clause (anomaly_probes says which one it breaks) and
    is not decided for the others, so one flaw fails one part."""
    return [pytest.param(c, marks=pytest.mark.clause(c), id=c) for c in clauses]


@pytest.mark.parametrize("clause", per_clause("L1.2", "L1.3", "L1.4", "L1.5"))
@given(params=window_params(), values=small_integer_streams)
@example(params=(3, 2.0, None), values=[0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 3.0])
@example(params=(2, 0.5, None), values=[0.0, 2.0, 1.0, 3.0, 3.0, 0.0])
@example(params=(4, 1.0, 2), values=[0.0, 1.0, 3.0, 0.0, 1.0, 1.0, -3.0])
@example(params=(3, 1.0, None), values=[1.0, 1.0, 1.0, 1.0, 1.0, 2.0])
def test_small_integer_streams_match_exact_arithmetic(
    clause: str, params: tuple[int, float, int | None], values: list[float]
) -> None:
    check_drawn_stream(SlidingWindowDetector, params, values, clause=clause)


@pytest.mark.parametrize("clause", per_clause("L1.2", "L1.4", "L1.5"))
@given(params=window_params(max_window=20), values=noise_with_spikes)
@example(params=(3, 3.0, None), values=[0.0, 1.0, 0.0, 40.0, 0.5, 0.0, 0.25, 1.0])
@example(params=(5, 2.0, 3), values=[1.0, -1.0, 1.0, -1.0, 40.0, 40.0, 40.0, 1.0, -1.0])
def test_noise_with_spikes_matches_exact_arithmetic(
    clause: str, params: tuple[int, float, int | None], values: list[float]
) -> None:
    check_drawn_stream(SlidingWindowDetector, params, values, clause=clause)


@pytest.mark.clause("L1.4")
def test_the_population_standard_deviation_is_used_not_the_sample_one() -> None:
    # window [0, 2]: mean 1, population std 1 (sample std 1.414); |2.3 - 1| = 1.3 > 1.2 * 1
    values = [0.0, 2.0, 2.3]
    check_sliding_stream(
        SlidingWindowDetector, values, 2, threshold=1.2, min_samples=None, clause="L1.4"
    )


@pytest.mark.clause("L1.2")
def test_the_window_holds_exactly_window_size_values() -> None:
    # window 3: after [100, 0, 1, 0] the window of the last value is [0, 1, 0]; with 100 still
    # inside (a window one too long) 5.0 would not be an anomaly.
    values = [100.0, 0.0, 1.0, 0.0, 5.0]
    check_sliding_stream(
        SlidingWindowDetector, values, 3, threshold=3.0, min_samples=None, clause="L1.2"
    )


@pytest.mark.clause("L1.5")
def test_an_anomaly_still_enters_the_window() -> None:
    # window 3: 1000 is an anomaly; it then widens the window so that 50 is not one.
    values = [0.0, 1.0, 0.0, 1000.0, 50.0]
    check_sliding_stream(
        SlidingWindowDetector, values, 3, threshold=3.0, min_samples=None, clause="L1.5"
    )


# ---------------------------------------------------------------------------------------------
# L1.6 accepted values


@pytest.mark.clause("L1.6")
@pytest.mark.parametrize(
    "make",
    [int, float, np.float64, np.float32, np.float16, np.longdouble, np.int64, np.int32, np.uint16],
    ids=lambda f: f.__name__,
)
def test_ints_floats_and_numpy_scalars_are_accepted_as_values(make: Any) -> None:
    raw = [1, 3, 2, 2, 3, 1, 40, 2, 1]
    values = [make(v) for v in raw]
    try:
        check_sliding_stream(
            SlidingWindowDetector, values, 4, threshold=1.5, min_samples=2, clause="L1.6"
        )
    except (TypeError, ValueError) as error:
        prefix = "" if make in (int, float) else "np."
        fail(
            f"L1.6: values of type {make.__name__} must be accepted, got {error!r}",
            "import numpy as np\nfrom solution import SlidingWindowDetector\n"
            "d = SlidingWindowDetector(window_size=4, threshold=1.5, min_samples=2)\n"
            f"print([d.update({prefix}{make.__name__}(v)) for v in {raw!r}])",
        )


RETURN_TYPE_VALUES: list[tuple[str, Any]] = [
    ("0.0", 0.0),
    ("1", 1),
    ("np.float64(2.5)", np.float64(2.5)),
    ("np.float32(1e9)", np.float32(1e9)),
    ("np.int64(-7)", np.int64(-7)),
    ("1e12", 1e12),
    ("0.5", 0.5),
    ("np.int32(3)", np.int32(3)),
]


@pytest.mark.clause("L1.6")
def test_update_returns_a_bool_not_a_numpy_bool_or_an_int() -> None:
    # warm-up answers, anomalies and non-anomalies, for values of every accepted type: each
    # answer must be a bool itself (type(got) is bool), not numpy.bool_, 0/1 or a look-alike
    detector = SlidingWindowDetector(window_size=3, threshold=2.0, min_samples=2)
    shown: list[str] = []
    for code, value in RETURN_TYPE_VALUES:
        got = detector.update(value)
        shown.append(code)
        check_bool(
            got,
            "L1.6",
            f"update({code})",
            "import numpy as np\nfrom solution import SlidingWindowDetector\n"
            "d = SlidingWindowDetector(window_size=3, threshold=2.0, min_samples=2)\n"
            + "".join(f"d.update({c})\n" for c in shown[:-1])
            + f"print(type(d.update({code})))  # expected <class 'bool'>",
        )


@pytest.mark.clause("L1.6")
def test_values_at_plus_and_minus_1e12_are_accepted() -> None:
    values = [1e12, -1e12, 1e12, 10**12, -(10**12), 0.0, np.float64(-1e12), np.float64(1e12)]
    check_sliding_stream(
        SlidingWindowDetector, values, 3, threshold=1.0, min_samples=2, clause="L1.6"
    )


# ---------------------------------------------------------------------------------------------
# L1.7 rejected values leave the detector unchanged

BAD_VALUES: list[tuple[str, Any]] = [
    ("float('nan')", math.nan),
    ("float('inf')", math.inf),
    ("float('-inf')", -math.inf),
    ("1.5e12", 1.5e12),
    ("math.nextafter(1e12, math.inf)", math.nextafter(1e12, math.inf)),
    ("math.nextafter(-1e12, -math.inf)", math.nextafter(-1e12, -math.inf)),
    ("np.float64(-1000000000000.5)", np.float64(-1000000000000.5)),
    ("10**12 + 1", 10**12 + 1),
    ("-(10**13)", -(10**13)),
    ("10**400", 10**400),
    ("True", True),
    ("False", False),
    ("'3.0'", "3.0"),
    ("None", None),
    ("np.float64('nan')", np.float64("nan")),
    ("np.bool_(True)", np.bool_(True)),
    ("[1.0]", [1.0]),
]


@pytest.mark.clause("L1.7")
@pytest.mark.parametrize(("code", "bad"), BAD_VALUES, ids=[c for c, _ in BAD_VALUES])
def test_a_rejected_value_raises_value_error_or_type_error(code: str, bad: Any) -> None:
    d = SlidingWindowDetector(window_size=3, threshold=2.0, min_samples=2)
    d.update(1.0)
    snippet = (
        "import numpy as np\nfrom solution import SlidingWindowDetector\n"
        "d = SlidingWindowDetector(window_size=3, threshold=2.0, min_samples=2)\n"
        f"d.update(1.0)\nd.update({code})  # expected ValueError or TypeError"
    )
    try:
        d.update(bad)
    except (ValueError, TypeError):
        return
    except Exception as error:
        fail(f"L1.7: update({code}) must raise ValueError or TypeError, got {error!r}", snippet)
    fail(f"L1.7: update({code}) must raise ValueError or TypeError, but it was accepted", snippet)


class RejectedValuesMachine(RuleBasedStateMachine):
    """Valid and rejected values interleaved; a twin detector only ever sees the valid ones and
    must give the same answers (the rejected values left no trace)."""

    @initialize(params=window_params(max_window=6))
    def start(self, params: tuple[int, float, int | None]) -> None:
        window, threshold, min_samples = params
        kwargs: dict[str, Any] = {"window_size": window, "threshold": threshold}
        if min_samples is not None:
            kwargs["min_samples"] = min_samples
        self.subject = SlidingWindowDetector(**kwargs)
        self.twin = SlidingWindowDetector(**kwargs)
        self.oracle = SlidingOracle(window, threshold, min_samples)
        self.log = Transcript(
            "import math\nimport numpy as np\nfrom solution import SlidingWindowDetector\n"
            f"d = SlidingWindowDetector(**{kwargs!r})\n"
            f"twin = SlidingWindowDetector(**{kwargs!r})  # never sees a rejected value"
        )

    @rule(value=st.one_of(st.integers(-3, 3).map(float), st.sampled_from([0.5, 20.0, -7.0])))
    def feed_valid(self, value: float) -> None:
        got = self.subject.update(value)
        expected = self.twin.update(value)
        verdict = self.oracle.update(value)
        self.log.add(f"assert d.update({value!r}) == twin.update({value!r})  # both {expected}")
        check_bool(expected, "L1.7", f"update({value!r})", self.log.code())
        if type(got) is not bool or got is not expected:
            fail(
                f"L1.7: after rejected values, update({value!r}) returned {got!r}, but a "
                f"detector that never saw them returned {expected}",
                self.log.code(),
            )
        if not verdict.allows(got):
            # both detectors answer alike, but not as the rules say: another clause is broken
            cause, why = sliding_cause(verdict, "L1.7")
            blame(
                cause,
                "L1.7",
                f"update({value!r}): {verdict.explain()} -> expected {verdict.exact}, got {got}",
                self.log.code(),
                why,
            )

    @rule(bad=st.sampled_from(BAD_VALUES))
    def feed_rejected(self, bad: tuple[str, Any]) -> None:
        code, value = bad
        self.log.add(
            f"try:\n    d.update({code})  # must raise\nexcept (ValueError, TypeError):\n    pass"
        )
        try:
            self.subject.update(value)
        except (ValueError, TypeError):
            return
        fail(f"L1.7: update({code}) must raise ValueError or TypeError", self.log.code())


@pytest.mark.clause("L1.7")
def test_rejected_values_leave_no_trace() -> None:
    # a plain test function (not the machine's unittest TestCase), so that a failure
    # passes through conftest.py and is reported under the clause that fails first
    run_state_machine_as_test(RejectedValuesMachine)


@pytest.mark.clause("L1.7")
def test_rejected_values_change_no_later_answer() -> None:
    before, after = [1.0, 2.0, 3.0, 2.0], [2.0, 2.5, 10.0, 2.0, 3.0, 40.0, 2.0]
    subject = SlidingWindowDetector(window_size=3, threshold=1.5, min_samples=2)
    twin = SlidingWindowDetector(window_size=3, threshold=1.5, min_samples=2)
    for value in before:
        subject.update(value)
        twin.update(value)
    for _, bad in BAD_VALUES:
        with contextlib.suppress(ValueError, TypeError):
            subject.update(bad)
    got = [subject.update(v) for v in after]
    expected = [twin.update(v) for v in after]
    for answer in (*got, *expected):
        check_bool(answer, "L1.7", "update", "print(type(SlidingWindowDetector(3).update(1.0)))")
    if got != expected:  # lists of bools: compared by value and type
        fail(
            f"L1.7: after rejected values the answers were {got}; a detector that never saw them "
            f"answers {expected}",
            "import math\nimport numpy as np\nfrom solution import SlidingWindowDetector\n"
            "d = SlidingWindowDetector(window_size=3, threshold=1.5, min_samples=2)\n"
            f"for v in {before!r}:\n    d.update(v)\n"
            f"for bad in [{', '.join(code for code, _ in BAD_VALUES)}]:\n"
            "    try:\n        d.update(bad)\n    except (ValueError, TypeError):\n        pass\n"
            f"print([d.update(v) for v in {after!r}])  # expected {expected}",
        )
