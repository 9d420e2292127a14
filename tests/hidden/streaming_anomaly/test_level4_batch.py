"""Level 4: detect_batch - the same answers as a fresh detector, for a whole array at once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from anomaly_oracle import SlidingOracle
from anomaly_support import (
    LONG_STREAMS,
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
from solution import SlidingWindowDetector, detect_batch

from kata.measure import per_op_seconds


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
    window=st.sampled_from([3, 50, 1000]),
)
@example(name="spikes of 1e9 on noise of 1e-2", seed=5, window=50)
def test_batch_follows_the_rules_on_long_streams(name: str, seed: int, window: int) -> None:
    code, values = long_stream(name, seed, 100_000)
    check_batch(values, window, 3.0, None, code=code)


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
# L4.3 vectorized


@pytest.mark.performance
@pytest.mark.clause("L4.3")
def test_batch_is_at_least_20_times_faster_than_update_in_a_loop() -> None:
    values = np.random.default_rng(11).standard_normal(200_000)
    as_list = values.tolist()

    def loop() -> int:
        detector = SlidingWindowDetector(window_size=100)
        for value in as_list:
            detector.update(value)
        return len(as_list)

    def batch() -> int:
        detect_batch(values, 100)
        return len(values)

    per_update = per_op_seconds(loop, repeat=3)
    per_element = per_op_seconds(batch, repeat=5)
    ratio = per_update / per_element
    assert ratio >= 20.0, (
        f"L4.3: detect_batch took {per_element * 1e9:.0f} ns per value, update() in a loop "
        f"{per_update * 1e9:.0f} ns: only {ratio:.1f}x faster (expected at least 20x; use numpy "
        "array operations, not a Python loop per value).\n\nReproduce with:\n"
        "import time\nimport numpy as np\nfrom solution import SlidingWindowDetector, "
        "detect_batch\n"
        "values = np.random.default_rng(11).standard_normal(200_000)\n"
        "start = time.perf_counter()\nd = SlidingWindowDetector(window_size=100)\n"
        "for v in values.tolist():\n    d.update(v)\nloop = time.perf_counter() - start\n"
        "start = time.perf_counter()\ndetect_batch(values, 100)\n"
        "print(loop / (time.perf_counter() - start))"
    )
