"""`kata compare`: checks per level, speed side by side, code quality, where the reference is."""

from __future__ import annotations

import io
import json
import random
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from kata.bench import MIN_ROUNDS, SAMPLE_SECONDS, Key, alternate
from kata.cli import main
from kata.compare import (
    GROWS,
    NOISE,
    SLOWER,
    Comparison,
    Probe,
    Side,
    growth_verdict,
    print_comparison,
    speed_verdict,
)

SLOW = '''
class RunningTotal:
    """Correct but keeps every value: add costs O(n)."""

    def __init__(self) -> None:
        self.values: list[int] = []

    def add(self, n: int) -> int:
        self.values.append(n)
        return sum(self.values)

    def reset(self) -> int:
        old = sum(self.values)
        self.values = []
        return old
'''


def compare(root: Path, *argv: str) -> int:
    return main(["compare", "toy", "--seed", "1", *argv], root=root, rng=random.Random(0))


def test_compare_reports_a_slow_solution_whose_cost_grows_with_size(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    out_json = tmp_path / "c.json"
    assert compare(toy_root, "--solution", str(slow), "--json", str(out_json)) == 0
    out = capsys.readouterr().out
    assert "Level 1              2/2        2/2" in out
    assert "yours grows with size more than the reference" in out
    data = json.loads(out_json.read_text())
    probe = data["probes"][0]
    assert probe["name"] == "add" and probe["growth"]["yours"] > 5 > probe["growth"]["reference"]
    # 100 to 10,000: the slow add grows about 100x, far beyond any noise, on any machine.
    assert probe["verdicts"]["growth"] == "yours grows with size more than the reference"
    assert (
        probe["spread"]["growth"]["yours"]["low"] > probe["spread"]["growth"]["reference"]["high"]
    )
    assert all(len(rounds) >= MIN_ROUNDS for rounds in probe["rounds"]["yours"])
    assert data["yours"]["ruff"] == 0 and data["yours"]["lines_of_code"] > 0
    assert "class RunningTotal" not in out, "the reference is a spoiler, shown only on request"


def test_compare_on_the_stub_reports_its_failures_without_crashing(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compare(toy_root, "--solution", str(toy_root / "katas/toy/solution.py")) == 0
    out = capsys.readouterr().out
    assert "Level 1              0/2        2/2" in out
    assert "error: yours raised NotImplementedError" in out


def test_compare_shows_the_reference_only_with_show_reference(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = str(toy_root / "solutions/toy/solution.py")
    assert compare(toy_root, "--solution", ref, "--show-reference") == 0
    out = capsys.readouterr().out
    assert "class RunningTotal" in out and "solutions/toy/NOTES.md" in out


def test_compare_on_an_unloadable_solution_is_an_error(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    assert compare(toy_root, "--solution", str(broken)) == 2
    assert "SyntaxError" in capsys.readouterr().out


# The decision rule, on injected per-round figures: nothing below depends on machine speed.


def test_growth_within_the_noise_when_the_rounds_overlap() -> None:
    # The case once reported as "put grows": one round at 2.1x, the reference's rounds overlapping.
    assert growth_verdict([1.5, 2.1, 3.0, 1.2], [1.0, 0.9, 1.3, 1.1]) == NOISE


def test_growth_is_called_when_every_round_is_beyond_the_other_side_and_the_threshold() -> None:
    words = growth_verdict([80.0, 95.0, 100.0, 88.0], [0.9, 1.1, 1.3, 1.0])
    assert words == "yours grows with size more than the reference"


def test_growth_words_are_the_same_whichever_side_the_figures_belong_to() -> None:
    fast, slow = [0.9, 1.1, 1.3, 1.0], [80.0, 95.0, 100.0, 88.0]
    assert growth_verdict(fast, slow) == "the reference grows with size more than yours"
    assert growth_verdict([1.7] * 5, [1.7] * 5) == NOISE
    assert growth_verdict([1.6, 1.8], [1.7, 1.75]) == growth_verdict([1.7, 1.75], [1.6, 1.8])


def test_growth_apart_but_under_the_threshold_is_only_a_small_difference() -> None:
    assert growth_verdict([1.8, 1.9], [1.0, 1.1]) == (
        f"a small difference: yours is higher in every round, but under {GROWS:g}x"
    )
    assert growth_verdict([1.0, 1.1], [1.8, 1.9]) == (
        f"a small difference: the reference's is higher in every round, but under {GROWS:g}x"
    )


def test_speed_within_the_noise_when_the_rounds_overlap() -> None:
    assert speed_verdict([1.0e-6, 2.0e-6, 1.1e-6], [0.8e-6, 1.05e-6, 0.9e-6]) == NOISE


def test_speed_is_called_when_every_round_is_beyond_the_other_side_and_the_threshold() -> None:
    yours, reference = [2.0e-6, 2.2e-6, 2.1e-6], [1.0e-6, 1.1e-6, 1.2e-6]
    assert speed_verdict(yours, reference) == "yours is slower"
    assert speed_verdict(reference, yours) == "the reference is slower"


def test_speed_apart_but_under_the_threshold_is_only_a_small_difference() -> None:
    assert speed_verdict([1.10e-6, 1.12e-6], [1.0e-6, 1.02e-6]) == (
        f"a small difference: yours is slower in every round, by under {SLOWER:g}x"
    )


def _probe(yours: list[list[float]], reference: list[list[float]]) -> Probe:
    medians = [statistics.median(r) for r in yours], [statistics.median(r) for r in reference]
    return Probe("get", *medians, rounds={"yours": yours, "reference": reference})


def test_json_carries_the_rounds_spreads_and_verdicts_the_text_shows() -> None:
    probe = _probe(
        yours=[[1.0e-6, 1.1e-6, 1.2e-6], [90e-6, 100e-6, 110e-6]],
        reference=[[1.0e-6, 1.05e-6, 1.1e-6], [1.1e-6, 1.2e-6, 1.3e-6]],
    )
    result = Comparison("toy", "mine.py", 1, Side(), Side(), sizes=[100, 10_000], probes=[probe])
    entry = result.as_json()["probes"][0]
    assert entry["rounds"]["yours"][1] == [90e-6, 100e-6, 110e-6]
    # Growth is taken round by round: large / small of the same round.
    assert entry["spread"]["growth"]["yours"]["low"] == pytest.approx(90e-6 / 1.0e-6)
    assert entry["spread"]["growth"]["reference"]["high"] == pytest.approx(1.3e-6 / 1.1e-6)
    assert entry["growth"]["yours"] == pytest.approx(100e-6 / 1.1e-6)
    assert entry["verdicts"] == {
        "speed": [NOISE, "yours is slower"],
        "growth": "yours grows with size more than the reference",
    }
    text = io.StringIO()
    print_comparison(result, stream=text)
    out = text.getvalue()
    assert "get, 3 rounds" in out
    assert "100 µs (90.0-110)" in out and "yours is slower" in out
    assert "yours grows with size more than the reference" in out


# kata.bench.alternate, with a clock the runners advance: the schedule, the budget, the errors.


class FakeClock:
    """Time that passes only when a runner says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _runner(clock: FakeClock, key: Key, seconds: float, calls: list[Key]) -> Callable[[], int]:
    def run() -> int:
        calls.append(key)
        clock.now += seconds
        return 1

    return run


KEYS: list[Key] = [
    ("reference", 100),
    ("solution", 100),
    ("reference", 10_000),
    ("solution", 10_000),
]


def test_alternate_reverses_the_order_every_round_and_drops_the_cold_first_round() -> None:
    clock, calls = FakeClock(), []
    runners = {key: _runner(clock, key, 0.01, calls) for key in KEYS}
    figures, error = alternate(runners, 1.0, min_rounds=4, max_rounds=4, clock=clock)
    assert error == ""
    assert all(rounds == [pytest.approx(0.01)] * 4 for rounds in figures.values())
    groups = [calls[i : i + 4] for i in range(0, len(calls), 4)]
    assert groups == [KEYS, KEYS[::-1], KEYS, KEYS[::-1], KEYS]


def test_alternate_spends_its_budget_on_rounds_within_the_minimum_and_maximum() -> None:
    clock, calls = FakeClock(), []
    runners = {key: _runner(clock, key, 0.01, calls) for key in KEYS}
    figures, _ = alternate(runners, 0.4, min_rounds=3, max_rounds=25, clock=clock)
    assert {len(rounds) for rounds in figures.values()} == {10}  # 0.04 s a round
    figures, _ = alternate(runners, 0.4, min_rounds=3, max_rounds=6, clock=clock)
    assert {len(rounds) for rounds in figures.values()} == {6}
    figures, _ = alternate(runners, 0.0, min_rounds=3, clock=clock)
    assert {len(rounds) for rounds in figures.values()} == {3}


def test_alternate_keeps_the_first_round_of_runners_that_use_up_the_budget_alone() -> None:
    clock, calls = FakeClock(), []
    runners = {key: _runner(clock, key, 1.0, calls) for key in KEYS}
    figures, _ = alternate(runners, 0.8, min_rounds=3, clock=clock)
    assert len(calls) == 3 * len(KEYS)
    assert {len(rounds) for rounds in figures.values()} == {3}


def test_alternate_calls_a_fast_runner_several_times_a_round_and_keeps_its_best() -> None:
    clock, calls = FakeClock(), []
    runners = {KEYS[0]: _runner(clock, KEYS[0], SAMPLE_SECONDS / 5, calls)}
    figures, _ = alternate(runners, 1.0, min_rounds=2, max_rounds=2, clock=clock)
    assert len(calls) == 1 + 2 * 5
    assert figures[KEYS[0]] == [pytest.approx(SAMPLE_SECONDS / 5)] * 2


def test_alternate_drops_a_side_whose_runner_raises() -> None:
    clock, calls = FakeClock(), []
    runners = {key: _runner(clock, key, 0.01, calls) for key in KEYS}
    state = {"calls": 0}

    def breaks_on_third_call() -> int:
        state["calls"] += 1
        if state["calls"] == 3:
            raise ValueError("boom")
        return 1

    runners["solution", 10_000] = breaks_on_third_call
    figures, error = alternate(runners, 0.0, min_rounds=4, clock=clock)
    assert error == "yours raised ValueError: boom"
    assert set(figures) == {("reference", 100), ("reference", 10_000)}
    assert {len(rounds) for rounds in figures.values()} == {4}
