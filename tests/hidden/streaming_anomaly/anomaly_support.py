"""Shared helpers of the streaming-anomaly hidden suite: streams, checks, runnable snippets.

Every failure message says what was expected and what came back, and ends with a Python snippet
(starting ``from solution import ...``) that reproduces the failing call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from anomaly_oracle import SlidingOracle, TimeOracle, Verdict
from anomaly_probes import SLIDING_ORDER, TIME_ORDER, broken, first_broken
from hypothesis import strategies as st

from kata.verdicts import NotDecided

# ---------------------------------------------------------------------------------------------
# Snippets and transcripts


def _args(**kwargs: Any) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items() if value is not None)


def sliding_snippet(
    *,
    window_size: int,
    threshold: float,
    min_samples: int | None,
    values_code: str,
    index: int,
    expected: str,
) -> str:
    """Code that feeds a fresh detector and prints the answer for ``values[index]``."""
    return (
        "from solution import SlidingWindowDetector\n"
        f"{values_code}\n"
        "d = SlidingWindowDetector("
        f"{_args(window_size=window_size, threshold=threshold, min_samples=min_samples)})\n"
        f"answers = [d.update(v) for v in values[: {index + 1}]]\n"
        f"print(answers[{index}])  # expected {expected}"
    )


def compact(values: Sequence[float]) -> str:
    """A Python expression for ``values``, with runs of 4+ equal values as ``[v] * k``."""
    parts: list[str] = []
    literal: list[float] = []
    index = 0
    while index < len(values):
        end = index
        while end < len(values) and values[end] == values[index]:
            end += 1
        if end - index >= 4:
            if literal:
                parts.append(repr(literal))
                literal = []
            parts.append(f"[{float(values[index])!r}] * {end - index}")
        else:
            literal.extend(float(v) for v in values[index:end])
        index = end
    if literal or not parts:
        parts.append(repr(literal))
    return " + ".join(parts)


def values_code(values: Sequence[float], limit: int = 400) -> str:
    """``values = ...`` for a short list; the caller supplies generator code for long ones."""
    if len(values) > limit:
        raise ValueError("too long for a literal; pass generator code instead")
    return f"values = {compact(values)}"


class Transcript:
    """The API calls of a stateful test, kept as code so a shrunk failure can be replayed."""

    def __init__(self, header: str) -> None:
        self.lines = [header]

    def add(self, line: str) -> None:
        self.lines.append(line)

    def code(self) -> str:
        return "\n".join(self.lines)


def fail(message: str, snippet: str) -> None:
    raise AssertionError(f"{message}\n\nReproduce with:\n{snippet}")


def cited(label: str) -> frozenset[str]:
    """The clause ids a label such as ``"L1.2-L1.5"`` or ``"L3.2/L3.3"`` names."""
    ids: set[str] = set()
    for part in label.split("/"):
        first, _, last = part.partition("-")
        if not last:
            ids.add(first)
            continue
        level, low = first[1:].split(".")
        ids.update(f"L{level}.{k}" for k in range(int(low), int(last.split(".")[1]) + 1))
    return frozenset(ids)


def blame(cause: str, label: str, message: str, snippet: str, why: str = "") -> None:
    """Fail when ``cause`` is a clause the check cites (``label``); otherwise the check is not
    decided: the cause clause fails first (``why``: what its probe saw), and its own checks
    report it."""
    if cause in cited(label):
        fail(f"{cause}: {message}", snippet)
    seen = f"{why}; this check saw: {message}" if why else message
    raise NotDecided(cause, reason=f"{seen}\n\nReproduce with:\n{snippet}")


def default_cause(label: str) -> str:
    """The clause a wrong answer of the sliding detector is charged to when no probe names
    another one and the window is neither warming up nor constant: the handling of accepted
    types (L1.6) in its own checks, the decision rule (L1.4) in the other level-1 checks, and
    rule R2 (L2.2) from level 2 on. One clause per check family, so that the parts of a split
    check never fail together."""
    ids = cited(label)
    if "L1.6" in ids:
        return "L1.6"
    return "L1.4" if all(c.startswith("L1.") for c in ids) else "L2.2"


def sliding_cause(verdict: Verdict, label: str) -> tuple[str, str]:
    """(clause, why) a wrong answer of the sliding detector breaks: the first clause of
    SLIDING_ORDER whose probe fails; else L1.3 during the warm-up, L2.1 (rule R1) on a constant
    window, or the check's own decision rule."""
    found = first_broken(SLIDING_ORDER)
    if found is not None:
        return found
    if verdict.warming_up:
        return "L1.3", ""
    return ("L2.1" if verdict.constant else default_cause(label)), ""


def time_cause(verdict: Verdict, label: str) -> tuple[str, str]:
    """(clause, why) a wrong answer of the time detector breaks: the first clause of TIME_ORDER
    whose probe fails; on a constant window L2.1 when the sliding detector breaks rule R1 too
    (the rule is stated there), else the decision rule L3.3."""
    found = first_broken(TIME_ORDER)
    if found is not None:
        return found
    if verdict.constant:
        why = broken("L2.1")
        return ("L2.1", why) if why is not None else ("L3.3", "")
    return "L3.3", ""


def check_bool(got: object, label: str, call: str, snippet: str) -> None:
    """A decision must be a ``bool`` itself (L1.6: ``type(got) is bool``; ``numpy.bool_``, 1
    or an object that compares equal to True are not)."""
    if type(got) is not bool:
        blame(
            "L1.6",
            label,
            f"{call} must return a bool, got {got!r} of type {type(got).__name__}",
            snippet,
        )


# ---------------------------------------------------------------------------------------------
# Checking whole streams


def expected_text(verdict: Verdict) -> str:
    return str(verdict.exact)


def check_sliding_stream(
    detector_cls: Callable[..., Any],
    values: Sequence[float],
    window_size: int,
    *,
    threshold: float,
    min_samples: int | None,
    code: str | None = None,
    clause: str = "",
) -> None:
    """Feed ``values`` to a fresh detector and to the oracle; fail on the first answer R1/R2
    rule out, when the clause it breaks is one ``clause`` names (else: not decided, that clause
    fails first). ``code`` is the generator code of ``values`` (default: a literal list)."""
    kwargs: dict[str, Any] = {"window_size": window_size, "threshold": threshold}
    if min_samples is not None:
        kwargs["min_samples"] = min_samples
    detector = detector_cls(**kwargs)
    oracle = SlidingOracle(window_size, threshold, min_samples)
    keep = window_size <= 64

    def snippet(index: int, verdict: Verdict) -> str:
        return sliding_snippet(
            window_size=window_size,
            threshold=threshold,
            min_samples=min_samples,
            values_code=code or values_code(values[: index + 1]),
            index=index,
            expected=str(verdict.exact),
        )

    for index, value in enumerate(values):
        got = detector.update(value)
        verdict = oracle.update(value, keep_window=keep)
        check_bool(got, clause, f"update({float(value)!r})", snippet(index, verdict))
        if not verdict.allows(got):
            window = ""
            if keep:
                window = f" window {compact(verdict.window)};"
            cause, why = sliding_cause(verdict, clause)
            blame(
                cause,
                clause,
                f"values[{index}] = {float(value)!r}:{window} "
                f"{verdict.explain() if keep else _short(verdict)} -> expected {verdict.exact}, "
                f"got {got}",
                snippet(index, verdict),
                why,
            )


def check_drawn_stream(
    detector_cls: Callable[..., Any],
    params: tuple[int, float, int | None],
    values: Sequence[float],
    clause: str,
) -> None:
    """`check_sliding_stream` for a drawn ``(window_size, threshold, min_samples)`` triple."""
    window_size, threshold, min_samples = params
    check_sliding_stream(
        detector_cls,
        values,
        window_size,
        threshold=threshold,
        min_samples=min_samples,
        clause=clause,
    )


def _short(verdict: Verdict) -> str:
    if verdict.warming_up:
        return "fewer than min_samples values so far"
    if verdict.constant:
        return "every window value is equal (rule R1)"
    return "outside R2's tolerance band"


def check_time_answer(got: object, verdict: Verdict, label: str, what: str, snippet: str) -> None:
    """One answer of the time detector against the oracle's verdict: a bool (it decides like
    the sliding detector, L3.3) that the rules allow; else fail or not decided (see blame)."""
    if type(got) is not bool:
        blame(
            "L3.3",
            label,
            f"{what}: update must return a bool, got {got!r} of type {type(got).__name__}",
            snippet,
        )
        return
    if not verdict.allows(got):
        cause, why = time_cause(verdict, label)
        blame(
            cause,
            label,
            f"{what}: window values {compact(verdict.window)}; {verdict.explain()} -> expected "
            f"{verdict.exact}, got {got}",
            snippet,
            why,
        )


def check_time_stream(
    detector_cls: Callable[..., Any],
    events: Sequence[tuple[float, float]],
    horizon: float,
    *,
    threshold: float,
    min_samples: int,
    clause: str = "",
) -> None:
    """Feed ``(timestamp, value)`` events to a fresh time detector and to the oracle."""
    detector = detector_cls(horizon=horizon, threshold=threshold, min_samples=min_samples)
    oracle = TimeOracle(horizon, threshold, min_samples)
    for index, (ts, value) in enumerate(events):
        got = detector.update(ts, value)
        verdict = oracle.update(ts, value)
        shown = [(float(t), float(v)) for t, v in events[: index + 1]]
        snippet = (
            "from solution import TimeWindowDetector\n"
            f"events = {shown!r}\n"
            f"d = TimeWindowDetector({_args(horizon=horizon, threshold=threshold, min_samples=min_samples)})\n"
            "answers = [d.update(t, v) for t, v in events]\n"
            f"print(answers[{index}])  # expected {verdict.exact}"
        )
        check_time_answer(
            got,
            verdict,
            clause,
            f"event {index} (timestamp {ts!r}, value {float(value)!r})",
            snippet,
        )


# ---------------------------------------------------------------------------------------------
# Strategies

thresholds = st.one_of(
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0]),
    st.floats(min_value=0.25, max_value=6.0),
)


@st.composite
def window_params(draw: st.DrawFn, max_window: int = 12) -> tuple[int, float, int | None]:
    """(window_size, threshold, min_samples) from the allowed ranges."""
    window = draw(st.integers(min_value=2, max_value=max_window))
    min_samples = draw(st.one_of(st.none(), st.integers(min_value=2, max_value=window)))
    return window, draw(thresholds), min_samples


small_integer_streams = st.lists(
    st.integers(min_value=-3, max_value=3).map(float), min_size=0, max_size=60
)


# Every float in range, subnormals and -0.0 included (R2's 1e-150 term covers what underflows).
noise = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)
# Level 1: spikes mild enough that even plain running sums stay within rule R2.
noise_with_spikes = st.lists(
    st.one_of(noise, noise, noise, noise, st.sampled_from([-40.0, 25.0, 40.0])),
    min_size=0,
    max_size=80,
)
# Later levels: spikes that leave plain running sums far less accurate than the noise.
noise_with_huge_spikes = st.lists(
    st.one_of(noise, noise, noise, noise, st.sampled_from([-1e6, -5e3, 40.0, 5e3, 1e6])),
    min_size=0,
    max_size=80,
)


@st.composite
def offset_streams(draw: st.DrawFn) -> list[float]:
    """Large offsets with a tiny spread; values stay within +-1e12."""
    offset = draw(st.sampled_from([1e6, -1e6, 123456789.0, 1e9, -1e9, 5e11, 1e12 - 1e3]))
    spread = draw(st.sampled_from([1e-3, 0.01, 0.5, 3.0]))
    steps = draw(
        st.lists(
            st.one_of(st.integers(-4, 4).map(float), st.floats(-4, 4), st.just(40.0)),
            min_size=0,
            max_size=70,
        )
    )
    return [offset + spread * s for s in steps]


@st.composite
def constant_after_spike_streams(draw: st.DrawFn, window: int) -> list[float]:
    """A level, a spike, then the level again for longer than a window (and maybe a blip, as
    small as one unit in the last place or a subnormal; -0.0 and 0.0 are the same level)."""
    level = draw(
        st.sampled_from([0.0, -0.0, 5.0, -2.5, 0.1, 1e9 + 0.5, -1e12, 1e12, 3.3e-7, 5e-324, 1e-160])
    )
    nearby = level - 1.0 if level > 0 else level + 1.0  # stays within +-1e12
    spike_value = draw(st.sampled_from([1e12, -1e12, 1e6, nearby, 0.0, 7.25]))
    before = draw(st.integers(min_value=0, max_value=window + 2))
    after = draw(st.integers(min_value=window, max_value=3 * window + 3))
    twin = -level if level == 0 else level  # 0.0 for -0.0: equal, so the window stays constant
    one_ulp = float(np.nextafter(level, 0.0)) if level else 5e-324
    tail = draw(
        st.lists(
            st.sampled_from([level, twin, level, spike_value, 0.0, 1.0, one_ulp, -5e-324]),
            max_size=window + 3,
        )
    )
    return [level] * before + [spike_value] + [level] * after + tail


# R1 at the edges of the floating-point range: (name, window, stream); the window of the stream's
# last value is constant (-0.0 == 0.0), and the last value departs from it by as little as a
# subnormal, or is a zero of the other sign: the answer must be exactly ``value != c``.
R1_EDGE_CASES: list[tuple[str, int, list[float]]] = [
    ("zeros of both signs, then 5e-324", 3, [0.0, -0.0, 0.0, 5e-324]),
    ("zeros of both signs, then -5e-324", 3, [-0.0, 0.0, -0.0, -5e-324]),
    ("zeros of both signs, then -0.0", 3, [0.0, -0.0, 0.0, -0.0]),
    ("-0.0 then 0.0", 2, [-0.0, -0.0, 0.0]),
    ("5e-324 then 1e-323", 3, [5e-324, 5e-324, 5e-324, 1e-323]),
    ("5e-324 then 5e-324", 3, [5e-324, 5e-324, 5e-324, 5e-324]),
    ("1e-160 then one ulp more", 4, [1e-160] * 4 + [float(np.nextafter(1e-160, 1.0))]),
    (
        "smallest normal then one ulp less",
        3,
        [2.2250738585072014e-308] * 3 + [float(np.nextafter(2.2250738585072014e-308, 0.0))],
    ),
    ("a spike, zeros, then 5e-324", 3, [1e12, 1.0, -0.0, 0.0, 0.0, -0.0, 5e-324]),
    ("a spike, 1e-200 for a while, then 0.0", 4, [-1e12, *[1e-200] * 9, 0.0]),
    ("a spike, then zeros of both signs, then 0.0", 3, [5.0, 0.0, -0.0, -0.0, 0.0, 0.0]),
]


# ---------------------------------------------------------------------------------------------
# Long streams: generated by code that is also the reproduction snippet's first lines.
# Their length keeps every check fast for any correct solution, including one that recomputes
# each window from scratch (O(window) per update): LONG_N values, windows up to LONG_MAX_WINDOW.

LONG_N = 8_000
LONG_MAX_WINDOW = 256

LONG_STREAMS: dict[str, str] = {
    "offset 1e9, spread 1e-3, level shifts": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "levels = np.repeat(rng.integers(-3, 4, 9) * 1e3, {n} // 8 + 1)[:{n}]\n"
        "values = (1e9 + levels + 1e-3 * rng.standard_normal({n})).tolist()"
    ),
    "random-walk drift": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "values = (1e6 + np.cumsum(rng.standard_normal({n}))).tolist()"
    ),
    "spikes of 1e9 on noise of 1e-2": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "noise = 5.0 + 1e-2 * rng.standard_normal({n})\n"
        "noise[rng.integers(0, {n}, {n} // 500)] = 1e9\n"
        "values = noise.tolist()"
    ),
    "flat stretches between bursts at 1e12": (
        "import numpy as np\n"
        "rng = np.random.default_rng({seed})\n"
        "base = np.full({n}, 1e12 - 2.0 ** 20)\n"
        "burst = rng.random({n}) < 0.01\n"
        "base[burst] += rng.integers(-5, 6, int(burst.sum())) * 2.0 ** -12\n"
        "values = base.tolist()"
    ),
}


def long_stream(name: str, seed: int, n: int) -> tuple[str, list[float]]:
    """(code, values): ``code`` builds ``values`` when run."""
    code = LONG_STREAMS[name].format(seed=seed, n=n)
    scope: dict[str, Any] = {}
    exec(code, scope)  # our own generator code, shown verbatim in failure snippets
    return code, list(scope["values"])
