"""`python -m kata.soak` and the growth measurement behind the hidden performance checks: a
verdict rests on clear evidence, and the soak finds any correct solution a check fails."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kata.measure import judge_growth
from kata.soak import main


class Hogs:
    """A stand-in for busy-looping processes: real processes that sleep, so a test can check they
    are all gone afterwards without loading the machine."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def __call__(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        self.started.append(proc)
        return proc


def test_the_soak_grades_the_reference_and_alternatives_and_stops_its_busy_processes(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alternative = toy_root / "tests/alternatives/toy/keeps_values.py"
    alternative.parent.mkdir(parents=True, exist_ok=True)
    alternative.write_text(
        "class RunningTotal:\n"
        "    def __init__(self) -> None:\n        self.values: list[int] = []\n"
        "    def add(self, n: int) -> int:\n        self.values.append(n)\n"
        "        return sum(self.values)\n"
        "    def reset(self) -> int:\n        old = sum(self.values)\n"
        "        self.values = []\n        return old\n"
    )
    hogs = Hogs()
    code = main(["toy", "--runs", "2", "--hogs", "2", "--seed", "1"], root=toy_root, spawn=hogs)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "reference (every check): 2 grades, 0 false failures" in out
    assert "keeps_values.py (correctness checks): 2 grades, 0 false failures" in out
    assert len(hogs.started) == 2 and all(p.poll() is not None for p in hogs.started)


def test_the_soak_reports_a_check_that_fails_a_solution_listed_as_correct(
    toy_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = toy_root / "tests/alternatives/toy/starts_at_one.py"
    wrong.parent.mkdir(parents=True, exist_ok=True)
    reference = (toy_root / "solutions/toy/solution.py").read_text()
    wrong.write_text(reference.replace("self.total = 0\n", "self.total = 1\n"))
    code = main(["toy", "--runs", "1", "--hogs", "0", "--seed", "1"], root=toy_root)
    out = capsys.readouterr().out
    assert code == 1
    assert "starts_at_one.py (correctness checks): 1 grades, " in out
    assert "1/1 a new total is zero (seeds " in out


def fake_runs(costs: dict[str, list[float]]) -> tuple[Callable[[int], Callable[[], int]], Callable[[], float]]:
    """A setup whose runners take the next cost of their size's list (seconds per operation,
    one operation per run) on a fake clock."""
    now = [0.0]
    sizes = {10: "small", 1000: "large"}

    def setup(size: int) -> Callable[[], int]:
        queue = costs[sizes[size]]

        def run() -> int:
            now[0] += queue.pop(0)
            return 1

        return run

    return setup, lambda: now[0]


def test_growth_is_measured_again_before_a_check_fails_and_rests_on_the_lowest_median() -> None:
    # First attempt: a burst of load makes the large size look 20x dearer; the second is clean.
    setup, clock = fake_runs({"small": [1.0] * 6, "large": [20.0] * 3 + [1.5] * 3})
    result = judge_growth(setup, 10, 1000, limit=3.0, rounds=3, attempts=3, clock=clock)
    assert result.attempts == [20.0, 1.5]
    assert result.passed and result.ratio == 1.5


def test_growth_that_exceeds_the_limit_in_every_attempt_fails_with_every_figure() -> None:
    setup, clock = fake_runs({"small": [1.0] * 9, "large": [50.0, 60.0, 40.0] * 3})
    result = judge_growth(setup, 10, 1000, limit=3.0, rounds=3, attempts=3, clock=clock)
    assert not result.passed
    assert result.attempts == [50.0, 50.0, 50.0]
    assert result.describe().count("50.0x (rounds 40.0-60.0x)") == 3


def test_one_slow_round_does_not_move_the_median() -> None:
    setup, clock = fake_runs({"small": [1.0] * 5, "large": [1.0, 1.25, 30.0, 1.5, 0.5]})
    result = judge_growth(setup, 10, 1000, limit=3.0, rounds=5, attempts=1, clock=clock)
    assert result.attempts == [1.25] and result.passed
