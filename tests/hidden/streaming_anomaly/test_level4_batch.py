"""Level 4: detect_batch - the same answers as a fresh detector, for a whole array at once."""

from __future__ import annotations

import math
import os
import sys
import tracemalloc
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
    blame,
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

# Level 4's function: a file graded at a lower level need not define it yet (see test_level3).
detect_batch: Any = getattr(solution_module, "detect_batch", None)


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
    clause: str = "L4.1",
) -> None:
    """detect_batch(values) against the oracle, element by element: a numpy array of bool
    (``type(got) is np.ndarray``) with one element per value, each allowed by the rules. A
    wrong answer in a check of another clause (``clause``) is not decided: L4.1 fails first."""
    code = code or values_code(values)
    if as_array:
        code += "\nimport numpy as np\nvalues = np.array(values)"
    call = _call(window, threshold, min_samples)
    snippet = f"from solution import detect_batch\n{code}\nresult = {call}\n"
    got = detect_batch(
        np.asarray(values) if as_array else list(values), window, threshold, min_samples
    )
    if (
        type(got) is not np.ndarray
        or got.dtype != np.dtype(np.bool_)
        or tuple(got.shape) != (len(values),)
    ):
        blame(
            "L4.1",
            clause,
            f"detect_batch must return a numpy array of bool with one element per value "
            f"(shape ({len(values)},)), got {type(got).__name__} {getattr(got, 'dtype', '')} "
            f"{getattr(got, 'shape', '')}",
            snippet + "print(type(result), result.dtype, result.shape)",
        )
    oracle = SlidingOracle(window, threshold, min_samples)
    keep = window <= 64
    for index, value in enumerate(values):
        verdict = oracle.update(value, keep_window=keep)
        if not verdict.allows(bool(got[index])):
            why = verdict.explain() if keep else "outside the rules' tolerance"
            blame(
                "L4.1",
                clause,
                f"element {index} (value {float(value)!r}): {why} -> expected "
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


BIG_WINDOW_STREAMS: dict[str, str] = {
    "level shifts at 1e9, spread 1e-3": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "levels = np.repeat(rng.integers(-3, 4, 12) * 1e3, {n} // 11 + 1)[:{n}]\n"
        "values = (1e9 + levels + 1e-3 * rng.standard_normal({n})).tolist()"
    ),
    "a few spikes of 1e9 on noise of 1e-2, one at the start": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "noise = 5.0 + 1e-2 * rng.standard_normal({n})\n"
        "noise[rng.integers(0, {n}, 4)] = 1e9\n"
        "noise[0] = -1e9\n"
        "values = noise.tolist()"
    ),
    "flat at 0.1 with spikes of 1e12, then a one-ulp step": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "flat = np.full({n}, 0.1)\n"
        "flat[rng.integers(0, {n}, 3)] = 1e12\n"
        "flat[-1] = np.nextafter(0.1, 1.0)\n"
        "values = flat.tolist()"
    ),
    "two long levels 1e3 apart at 1e9, spread 1e-3": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "first = 1e9 + 1e-3 * rng.standard_normal({w} * 5 // 4)\n"
        "values = np.r_[first, 1e9 + 1e3 + 1e-3 * rng.standard_normal({n} - len(first))].tolist()"
    ),
    "pairs of spikes one window apart at 1e9: one clean window between each pair": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "values = 1e9 + 1e-3 * rng.standard_normal({n})\n"
        "for start in (100, {w} + 250, 2 * {w} + 400):\n"
        "    values[start] = values[start + {w} + 1] = 1e9 + 1e6\n"
        "values = values.tolist()"
    ),
    "a level near 0 for the first part of the first window, then 1e9": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "first = 1e-3 * rng.standard_normal({w} * 2 // 5)\n"
        "values = np.r_[first, 1e9 + 1e-3 * rng.standard_normal({n} - len(first))].tolist()"
    ),
}


@pytest.mark.clause("L4.1")
@pytest.mark.parametrize("window", [300, 2_500])
@pytest.mark.parametrize("name", sorted(BIG_WINDOW_STREAMS))
def test_batch_follows_the_rules_with_long_windows(name: str, window: int) -> None:
    # L4.1 holds for every window_size: windows of a few hundred and a few thousand values, on
    # streams where level shifts and spikes leave long stretches of tiny spread (after a shift,
    # or in the first windows, before one), and with min_samples=2 (the first windows are then
    # shorter than window_size)
    n = 3 * window + 1_000
    seed = window % 7
    code = BIG_WINDOW_STREAMS[name].format(seed=seed, n=n, w=window)
    scope: dict[str, Any] = {}
    exec(code, scope)  # our own generator code, shown verbatim in failure snippets
    values = list(scope["values"])
    for min_samples in (None, 2):
        check_batch(values, window, 3.0, min_samples, code=code)


@pytest.mark.clause("L4.1")
def test_batch_answers_long_double_arrays_at_their_own_precision() -> None:
    # L4.1: the answers of SlidingWindowDetector, which R1 holds for every accepted value: a
    # constant window of numpy.longdouble values, then one long-double ulp more, is an anomaly
    level = np.longdouble(1) / np.longdouble(3)
    up = np.nextafter(level, np.longdouble(1))
    values = np.array([level] * 4 + [up, up, up, level], dtype=np.longdouble)
    got = detect_batch(values, 3)
    expected = [False] * 4 + [True, False, False, True]
    if type(got) is not np.ndarray or got.tolist() != expected:
        fail(
            f"L4.1: detect_batch on a numpy.longdouble array [{level!r}] * 4 + [{up!r}] * 3 + "
            f"[{level!r}] with window_size=3 gave {np.asarray(got).tolist()}, expected {expected}"
            " (a constant window answers exactly value != c)",
            "import numpy as np\nfrom solution import detect_batch\n"
            "level = np.longdouble(1) / np.longdouble(3)\n"
            "up = np.nextafter(level, np.longdouble(1))\n"
            "values = np.array([level] * 4 + [up] * 3 + [level], dtype=np.longdouble)\n"
            f"print(detect_batch(values, 3).tolist())  # expected {expected}",
        )


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
    ("[1.0, 10**12 + 1, 2.0]", [1.0, 10**12 + 1, 2.0]),
    ("[1.0, 10**20, 2.0]", [1.0, 10**20, 2.0]),
    ("np.array([0.0, -1e12 - 0.5])", np.array([0.0, -1e12 - 0.5])),
    (
        "np.array([1.0, np.nextafter(np.longdouble(1e12), np.longdouble(2e12))])",
        np.array([1.0, np.nextafter(np.longdouble(1e12), np.longdouble(2e12))]),
    ),
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
@pytest.mark.parametrize("window", [10**6, 10**15])
def test_a_window_larger_than_the_input_needs_no_memory_beyond_the_inputs(window: int) -> None:
    # L4.2: a window_size larger than the input is valid, every window is then the whole stream
    # so far (the answers of window_size=n), and it needs no memory beyond the input's: the peak
    # of what numpy and Python allocate stays within that of window_size=n (twice it, plus 1 MiB)
    n = 3_000
    values = np.random.default_rng(3).standard_normal(n)
    values[::250] *= 50.0
    tracemalloc.start()
    try:
        expected = detect_batch(values, n, 3.0, 2)
        _, fitting = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        snippet = (
            "import numpy as np\nfrom solution import detect_batch\n"
            f"values = np.random.default_rng(3).standard_normal({n})\nvalues[::250] *= 50.0\n"
            f"print((detect_batch(values, {window}, 3.0, 2) == detect_batch(values, {n}, 3.0, 2)).all())"
        )
        try:
            got = detect_batch(values, window, 3.0, 2)
        except MemoryError:
            fail(f"L4.2: detect_batch(values of length {n}, {window}) ran out of memory", snippet)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if np.asarray(got).tolist() != np.asarray(expected).tolist():
        fail(
            f"L4.2: with window_size={window} > len(values) = {n} every window is the whole "
            f"stream so far, so the answers must be those of window_size={n}",
            snippet,
        )
    limit = 2 * fitting + 2**20
    if peak > limit:
        fail(
            f"L4.2: detect_batch(values of length {n}, {window}) allocated {peak:,} bytes at its "
            f"peak, against {fitting:,} with window_size={n} (limit: {limit:,})",
            snippet,
        )


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
        check_batch([float(v) for v in raw], 4, 1.5, 2, clause="L4.2")
        assert (
            np.asarray(got).tolist() == detect_batch([float(v) for v in raw], 4, 1.5, 2).tolist()
        ), (
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


LINES_SIZES: list[tuple[int, int, int | None]] = [
    (LINES_N, LINES_WINDOW, None),  # the size L4.3 names
    (LINES_N, 2, None),
    (LINES_N, 300, None),
    (30_000, 3_000, None),
    (20_000, 20_000, 2),  # a window above 16,384, and windows of every length up to it
    (20_000, 10**6, 2),  # a window larger than the input
]
"""(n, window_size, min_samples): the rule holds at every size, so it is counted at several."""


@pytest.mark.performance
@pytest.mark.clause("L4.3")
@pytest.mark.parametrize(
    ("n", "window", "min_samples"), LINES_SIZES, ids=[f"n={n},w={w}" for n, w, _ in LINES_SIZES]
)
def test_batch_runs_no_python_loop_per_value(n: int, window: int, min_samples: int | None) -> None:
    values = np.random.default_rng(11).standard_normal(n)
    values[::997] *= 40.0  # a few spikes
    budget = n // LINES_PER_VALUE + LINES_CONSTANT
    lines = count_solution_lines(lambda: detect_batch(values, window, 3.0, min_samples), budget)
    call = f"detect_batch(values, {window}, 3.0, {min_samples})"
    assert lines <= budget, (
        f"L4.3: {call} on {n:,} values executed more than {budget:,} lines of solution.py (the "
        f"limit: n / {LINES_PER_VALUE} + {LINES_CONSTANT:,}); the count was stopped there. A "
        "Python loop per value (a for loop, a list comprehension, map or np.vectorize of your "
        "own function) runs at least one line per value: use numpy array operations, or loop "
        "over blocks of many values."
        "\n\nReproduce with:\n"
        "import sys\nimport numpy as np\nimport solution\n"
        f"values = np.random.default_rng(11).standard_normal({n})\n"
        "values[::997] *= 40.0\n"
        "lines = 0\n\n"
        "def local(frame, event, arg):\n"
        "    global lines\n"
        "    lines += event == 'line'\n"
        "    return local\n\n"
        "sys.settrace(lambda frame, event, arg: "
        "local if frame.f_code.co_filename == solution.__file__ else None)\n"
        f"solution.{call}\n"
        "sys.settrace(None)\n"
        f"print(lines)  # at most {budget}"
    )
