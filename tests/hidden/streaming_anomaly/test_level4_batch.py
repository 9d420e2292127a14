"""Level 4: detect_batch - the same answers as a fresh detector, for a whole array at once."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import numpy as np
import pytest
import solution as solution_module
from anomaly_oracle import SlidingOracle
from anomaly_support import (
    LONG_MAX_WINDOW,
    LONG_N,
    LONG_STREAMS,
    R1_EDGE_CASES,
    constant_after_spike_streams,
    fail,
    long_stream,
    noise_with_huge_spikes,
    offset_streams,
    small_integer_streams,
    values_code,
    window_params,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st
from solution import detect_batch


def _call(window: int, threshold: float, min_samples: int | None) -> str:
    extra = "" if min_samples is None else f", min_samples={min_samples}"
    return f"detect_batch(values, {window}, threshold={threshold!r}{extra})"


def check_batch(
    values: Sequence[float],
    window: int,
    threshold: float,
    min_samples: int | None,
    *,
    code: str | None = None,
    as_array: bool = False,
) -> None:
    """detect_batch(values) against the oracle, element by element."""
    code = code or values_code(values)
    if as_array:
        code += "\nimport numpy as np\nvalues = np.array(values)"
    call = _call(window, threshold, min_samples)
    snippet = f"from solution import detect_batch\n{code}\nresult = {call}\n"
    got = detect_batch(
        np.asarray(values) if as_array else list(values), window, threshold, min_samples
    )
    if not isinstance(got, np.ndarray) or got.dtype != np.bool_ or got.shape != (len(values),):
        fail(
            f"L4.1: detect_batch must return a numpy bool array of shape ({len(values)},), got "
            f"{type(got).__name__} {getattr(got, 'dtype', '')} {getattr(got, 'shape', '')}",
            snippet + "print(type(result), result.dtype, result.shape)",
        )
    oracle = SlidingOracle(window, threshold, min_samples)
    keep = window <= 64
    for index, value in enumerate(values):
        verdict = oracle.update(value, keep_window=keep)
        if not verdict.allows(bool(got[index])):
            why = verdict.explain() if keep else "outside the rules' tolerance"
            fail(
                f"L4.1: element {index} (value {float(value)!r}): {why} -> expected "
                f"{verdict.exact} (what a fresh SlidingWindowDetector must answer), got "
                f"{bool(got[index])}",
                snippet + f"print(result[{index}])  # expected {verdict.exact}",
            )


# ---------------------------------------------------------------------------------------------
# L4.1 same answers as the detector


@pytest.mark.clause("L4.1")
@given(params=window_params(), values=small_integer_streams, as_array=st.booleans())
@example(params=(3, 2.0, None), values=[0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 3.0], as_array=False)
@example(params=(2, 1.0, None), values=[1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0], as_array=True)
@example(params=(4, 1.0, 2), values=[0.0, 1.0, 3.0, 0.0, 1.0, 1.0, -3.0], as_array=True)
def test_batch_answers_small_integer_streams_like_the_detector(
    params: tuple[int, float, int | None], values: list[float], as_array: bool
) -> None:
    check_batch(values, *params, as_array=as_array)


@pytest.mark.clause("L4.1")
@given(params=window_params(max_window=20), values=noise_with_huge_spikes)
def test_batch_answers_noisy_streams_with_spikes_like_the_detector(
    params: tuple[int, float, int | None], values: list[float]
) -> None:
    check_batch(values, *params)


@st.composite
def hard_cases(draw: st.DrawFn) -> tuple[tuple[int, float, int | None], list[float]]:
    params = draw(window_params(max_window=10))
    stream = draw(st.one_of(offset_streams(), constant_after_spike_streams(params[0])))
    return params, stream


@pytest.mark.clause("L4.1")
@given(case=hard_cases())
@example(case=((3, 3.0, None), [1e12, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]))
@example(case=((4, 3.0, None), [1e9 + 1e-3 * s for s in [0, 1, -1, 0, 1, 2, -1, 0, 40, 0]]))
def test_batch_follows_rules_r1_and_r2_on_offsets_and_flat_lines(
    case: tuple[tuple[int, float, int | None], list[float]],
) -> None:
    params, values = case
    check_batch(values, *params)


@pytest.mark.clause("L4.1")
@settings(max_examples=max(2, settings().max_examples // 12))
@given(
    name=st.sampled_from(sorted(LONG_STREAMS)),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    window=st.sampled_from([3, 50, LONG_MAX_WINDOW]),
)
@example(name="spikes of 1e9 on noise of 1e-2", seed=5, window=50)
@example(name="offset 1e9, spread 1e-3, level shifts", seed=1, window=LONG_MAX_WINDOW)
def test_batch_follows_the_rules_on_long_streams(name: str, seed: int, window: int) -> None:
    code, values = long_stream(name, seed, LONG_N)
    check_batch(values, window, 3.0, None, code=code)


@pytest.mark.clause("L4.1")
@pytest.mark.parametrize(
    ("window", "values"), [case[1:] for case in R1_EDGE_CASES], ids=[c[0] for c in R1_EDGE_CASES]
)
def test_batch_answers_a_subnormal_departure_from_a_constant_window_exactly(
    window: int, values: list[float]
) -> None:
    for as_array in (False, True):
        check_batch(values, window, 3.0, None, as_array=as_array)
        check_batch(values, window, 0.5, 2, as_array=as_array)


@pytest.mark.clause("L4.1")
def test_batch_uses_the_population_standard_deviation() -> None:
    # window [0, 2]: mean 1, population std 1 (sample std 1.414); |2.3 - 1| = 1.3 > 1.2 * 1
    check_batch([0.0, 2.0, 2.3, 2.0, 1.0, 1.9, 1.0, 2.0, 3.1], 2, 1.2, None)
    check_batch([5.0, 1.0, 5.0, 1.0, 9.5, 1.0, 5.0, 1.0, -4.0], 4, 1.5, 3)


@pytest.mark.clause("L4.1")
def test_batch_of_fewer_values_than_min_samples_is_all_false() -> None:
    for values in ([], [1.0], [1.0, 5.0, 1e9]):
        check_batch(values, 4, 3.0, None)


# ---------------------------------------------------------------------------------------------
# L4.2 inputs


BAD_INPUTS: list[tuple[str, Any]] = [
    ("[1.0, float('nan'), 2.0, 3.0]", [1.0, math.nan, 2.0, 3.0]),
    ("[1.0, 2.0, 3.0, float('inf')]", [1.0, 2.0, 3.0, math.inf]),
    ("np.array([-np.inf, 1.0, 2.0])", np.array([-np.inf, 1.0, 2.0])),
    ("[0.0, 2e12, 1.0]", [0.0, 2e12, 1.0]),
    ("np.zeros((4, 3))", np.zeros((4, 3))),
    ("[[1.0, 2.0], [3.0, 4.0]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("np.float64(3.0)", np.float64(3.0)),
]


@pytest.mark.clause("L4.2")
@pytest.mark.parametrize(("code", "bad"), BAD_INPUTS, ids=[c for c, _ in BAD_INPUTS])
def test_batch_rejects_non_finite_out_of_range_or_non_1d_input(code: str, bad: Any) -> None:
    snippet = (
        "import numpy as np\nfrom solution import detect_batch\n"
        f"detect_batch({code}, 2)  # expected ValueError"
    )
    try:
        detect_batch(bad, 2)
    except ValueError:
        return
    except Exception as error:
        fail(f"L4.2: detect_batch({code}, 2) must raise ValueError, got {error!r}", snippet)
    fail(f"L4.2: detect_batch({code}, 2) must raise ValueError, but it returned", snippet)


@pytest.mark.clause("L4.2")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_size": 1},
        {"window_size": 5, "threshold": 0.0},
        {"window_size": 5, "threshold": math.nan},
        {"window_size": 5, "min_samples": 6},
        {"window_size": 5, "min_samples": 1},
    ],
    ids=repr,
)
def test_batch_rejects_the_parameters_the_detector_rejects(kwargs: dict[str, Any]) -> None:
    snippet = (
        "from solution import detect_batch\n"
        f"detect_batch([1.0, 2.0, 3.0], **{kwargs!r})  # expected ValueError"
    )
    try:
        detect_batch([1.0, 2.0, 3.0], **kwargs)
    except ValueError:
        return
    except Exception as error:
        fail(f"L4.2: detect_batch(..., **{kwargs}) must raise ValueError, got {error!r}", snippet)
    fail(f"L4.2: detect_batch(..., **{kwargs}) must raise ValueError, but it returned", snippet)


@pytest.mark.clause("L4.2")
@pytest.mark.parametrize(
    ("code", "values", "kwargs"),
    [
        ("[1.0, 2.0, 3.0]", [1.0, 2.0, 3.0], {"window_size": 2.5}),
        ("[1.0, 2.0, 3.0]", [1.0, 2.0, 3.0], {"window_size": None}),
        ("[1.0, 2.0, 3.0]", [1.0, 2.0, 3.0], {"window_size": 2, "threshold": "3"}),
        ("['1', '2', '3']", ["1", "2", "3"], {"window_size": 2}),
        ("[1.0, None, 3.0]", [1.0, None, 3.0], {"window_size": 2}),
        ("np.array([True, False, True])", np.array([True, False, True]), {"window_size": 2}),
        ("np.array([1 + 2j, 3j, 1.0])", np.array([1 + 2j, 3j, 1.0]), {"window_size": 2}),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else str(v) if isinstance(v, str) else "",
)
def test_batch_rejects_wrong_types_with_type_error_or_value_error(
    code: str, values: Any, kwargs: dict[str, Any]
) -> None:
    snippet = (
        "import numpy as np\nfrom solution import detect_batch\n"
        f"detect_batch({code}, **{kwargs!r})  # expected TypeError or ValueError"
    )
    try:
        detect_batch(values, **kwargs)
    except (TypeError, ValueError):
        return
    except Exception as error:
        fail(f"L4.2: must raise TypeError or ValueError, got {error!r}", snippet)
    fail("L4.2: must raise TypeError or ValueError, but it returned", snippet)


@pytest.mark.clause("L4.2")
def test_batch_accepts_lists_of_ints_and_numpy_arrays_of_any_real_dtype() -> None:
    raw = [1, 3, 2, 2, 3, 1, 40, 2, 1]
    for values, code in (
        (raw, f"{raw!r}"),
        (np.array(raw, dtype=np.int64), f"np.array({raw!r}, dtype=np.int64)"),
        (np.array(raw, dtype=np.float32), f"np.array({raw!r}, dtype=np.float32)"),
    ):
        try:
            got = detect_batch(values, 4, 1.5, 2)
        except Exception as error:
            fail(
                f"L4.2: detect_batch({code}, 4, 1.5, 2) must be accepted, got {error!r}",
                "import numpy as np\nfrom solution import detect_batch\n"
                f"print(detect_batch({code}, 4, 1.5, 2))",
            )
        check_batch([float(v) for v in raw], 4, 1.5, 2)
        assert list(got) == list(detect_batch([float(v) for v in raw], 4, 1.5, 2)), (
            f"L4.2: detect_batch({code}, 4, 1.5, 2) gave {list(got)}, but the same values as "
            "floats give a different answer"
        )


# ---------------------------------------------------------------------------------------------
# L4.3 vectorized: a count of the lines of solution.py executed, not a timing

LINES_N = 100_000
LINES_WINDOW = 100
LINES_PER_VALUE = 10  # K of L4.3: at most n / K + C lines
LINES_CONSTANT = 2_000  # C of L4.3


class _OverBudget(BaseException):
    """Raised inside the traced code once the budget is spent (a BaseException, so that an
    ``except Exception`` in the solution does not swallow it)."""


def count_solution_lines(call: Any, budget: int) -> int:
    """Run ``call()`` and count the 'line' events of frames whose code is in solution.py (the
    graded module's file), stopping the call early once the count exceeds ``budget``."""
    target = os.path.realpath(solution_module.__file__ or "solution.py")
    ours: dict[str, bool] = {}
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
            if count > budget:
                raise _OverBudget
        return local

    def global_(frame: FrameType, event: str, arg: object) -> Any:
        name = frame.f_code.co_filename
        mine = ours.get(name)
        if mine is None:
            mine = ours[name] = os.path.realpath(name) == target
        return local if mine else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        call()
    except _OverBudget:
        pass
    finally:
        sys.settrace(previous)
    return count


@pytest.mark.performance
@pytest.mark.clause("L4.3")
def test_batch_runs_no_python_loop_per_value() -> None:
    values = np.random.default_rng(11).standard_normal(LINES_N)
    values[::997] *= 40.0  # a few spikes
    budget = LINES_N // LINES_PER_VALUE + LINES_CONSTANT
    lines = count_solution_lines(lambda: detect_batch(values, LINES_WINDOW), budget)
    assert lines <= budget, (
        f"L4.3: detect_batch on {LINES_N:,} values with window_size={LINES_WINDOW} executed more "
        f"than {budget:,} lines of solution.py (the limit: n / {LINES_PER_VALUE} + "
        f"{LINES_CONSTANT:,}); the count was stopped there. A Python loop per value (a for "
        "loop, a list comprehension, map or np.vectorize of your own function) runs at least "
        "one line per value: use numpy array operations, or loop over blocks of many values."
        "\n\nReproduce with:\n"
        "import sys\nimport numpy as np\nimport solution\n"
        f"values = np.random.default_rng(11).standard_normal({LINES_N})\n"
        "values[::997] *= 40.0\n"
        "lines = 0\n\n"
        "def local(frame, event, arg):\n"
        "    global lines\n"
        "    lines += event == 'line'\n"
        "    return local\n\n"
        "sys.settrace(lambda frame, event, arg: "
        "local if frame.f_code.co_filename == solution.__file__ else None)\n"
        f"solution.detect_batch(values, {LINES_WINDOW})\n"
        "sys.settrace(None)\n"
        f"print(lines)  # at most {budget}"
    )
