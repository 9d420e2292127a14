"""Verdicts the grader owes the learner whatever the machine does: running out of time is never a
wrong answer, a hang is found once and shown where it happened, and reports name checks and
reproduce runs exactly. Driven through `main(argv)` on a copy of the fixture repository's `toy`
kata, extended per test in its temporary copy."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path
from typing import Any

import pytest

from kata.catalog import load_kata
from kata.cli import main
from kata.grading import HUNG_CALL_SECONDS, hung_call_seconds, hung_code, run_suite, stuck_at
from kata.sandbox import Limits

SLOW_ADD = '''
import time


class RunningTotal:
    def __init__(self) -> None:
        self.total = 0

    def add(self, n: int) -> int:
        self._work()
        self.total += n
        return self.total

    def _work(self) -> None:
        end = time.monotonic() + 0.4
        while time.monotonic() < end:
            pass

    def reset(self) -> int:
        old, self.total = self.total, 0
        return old
'''

HANGING_ADD = '''
class RunningTotal:
    def __init__(self) -> None:
        self.total = 0

    def add(self, n: int) -> int:
        while True:
            pass

    def reset(self) -> int:
        old, self.total = self.total, 0
        return old
'''

MORE_CHECKS = '''


@pytest.mark.clause("L1.2")
def test_two_adds_make_their_sum() -> None:
    total = RunningTotal()
    total.add(1)
    assert total.add(2) == 3


@pytest.mark.clause("L1.2")
def test_three_adds_make_their_sum() -> None:
    total = RunningTotal()
    total.add(1)
    total.add(1)
    assert total.add(1) == 3


@pytest.mark.clause("L2.1")
def test_a_new_total_resets_to_zero() -> None:
    assert RunningTotal().reset() == 0


@pytest.mark.clause("L1.2")
@pytest.mark.parametrize("text", ["10", 10])
def test_parameters_keep_their_quotes(text: object) -> None:
    assert RunningTotal().add(0) == 0, text


class AddingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.total = RunningTotal()
        self.model = 0

    @rule(n=st.integers(-5, 5))
    def add(self, n: int) -> None:
        self.model += n
        assert self.total.add(n) == self.model


TestAddingMachine = pytest.mark.clause("L1.1")(AddingMachine.TestCase)
'''


def extend_toy(root: Path) -> None:
    """Give the toy kata a cost clause and more checks (a parametrized one, a state machine)."""
    (root / "katas/toy/kata.toml").write_text(
        (root / "katas/toy/kata.toml").read_text() + 'cost_clauses = ["L2.9"]\n'
    )
    statement = root / "katas/toy/README.md"
    statement.write_text(statement.read_text() + "\n- **L2.9** `add` costs O(1).\n")
    hidden = root / "tests/hidden/toy/test_toy.py"
    source = hidden.read_text().replace(
        "from hypothesis import given",
        "from hypothesis import given\nfrom hypothesis.stateful import RuleBasedStateMachine, rule",
    )
    hidden.write_text(source + MORE_CHECKS)


def grade_json(root: Path, solution: str, tmp_path: Path, *extra: str) -> dict[str, Any]:
    path = tmp_path / "mine.py"
    path.write_text(solution, encoding="utf-8")
    out = tmp_path / "r.json"
    main(
        ["grade", "toy", "--solution", str(path), "--no-quality", "--seed", "3",
         "--json", str(out), *extra],
        root=root,
        rng=random.Random(0),
    )
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in data["tests"]}


def test_a_check_that_runs_out_of_time_is_not_decided_and_charged_to_the_cost_clause(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extend_toy(toy_root)
    data = grade_json(toy_root, SLOW_ADD, tmp_path, "--check-timeout", "2")
    slow = by_name(data)["add returns the sum so far"]
    assert slow["status"] == "error"
    assert slow["message"].startswith("not decided: too slow")
    assert (slow["kind"], slow["clauses"]) == ("performance", ["L2.9"])
    assert "solution.py" in slow["message"] and "in _work" in slow["message"]
    assert "the reference finished this check in" in slow["message"]
    out = capsys.readouterr().out
    assert "charged to the cost rule (L2.9), not to L1.1, L1.2" in out
    # Checks that finish in time keep their real verdicts.
    assert by_name(data)["a new total is zero"]["status"] == "pass"


def test_a_method_that_hangs_on_every_call_is_waited_for_once(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extend_toy(toy_root)
    start = time.monotonic()
    data = grade_json(toy_root, HANGING_ADD, tmp_path, "--check-timeout", "3")
    elapsed = time.monotonic() - start
    checks = by_name(data)
    first = checks["add returns the sum so far"]
    assert re.search(r"solution\.py:[78] in add", first["message"]), first["message"]
    hung = [t for t in data["tests"] if t["message"] and "`add`" in t["message"]]
    assert len(hung) >= 4, [t["message"] for t in data["tests"]]
    assert all(t["status"] == "error" for t in hung)
    assert checks["a new total resets to zero"]["status"] == "pass"
    out = capsys.readouterr().out
    assert "checks not decided: `add` hung in an earlier check" in out.replace("\n", " ")
    assert len(out.splitlines()) <= 40
    # One full per-check limit, then at most one short wait: never a limit per check. The bound
    # is loose because the machine may be busy; six checks at 3 s each would take 18 s or more.
    assert elapsed < 15, elapsed


@pytest.mark.parametrize("shards", [2, 5])
def test_shards_share_the_checks_and_give_the_same_verdicts_in_the_same_order(
    toy_root: Path, tmp_path: Path, shards: int
) -> None:
    # 5 shards for the toy's 3 checks: a shard may have none.
    kata = load_kata("toy", toy_root)
    wrong = tmp_path / "solution.py"
    wrong.write_text(
        kata.reference.read_text(encoding="utf-8").replace("return old", "return 0"),
        encoding="utf-8",
    )
    for solution in (kata.reference, wrong):
        alone = run_suite(kata.hidden_suite, solution, kata=kata, seed=1)
        shared = run_suite(kata.hidden_suite, solution, kata=kata, seed=1, shards=shards)
        assert not shared.error
        assert [(c.id, c.status) for c in shared.checks] == [(c.id, c.status) for c in alone.checks]
    assert {c.status for c in alone.checks} == {"pass", "fail"}, "the wrong solution failed none"


def test_check_names_keep_parameter_quotes_and_state_machines_are_named_after_their_class(
    toy_root: Path, tmp_path: Path
) -> None:
    extend_toy(toy_root)
    reference = (toy_root / "solutions/toy/solution.py").read_text()
    names = set(by_name(grade_json(toy_root, reference, tmp_path)))
    assert {"parameters keep their quotes ('10')", "parameters keep their quotes (10)"} <= names
    assert "adding machine" in names
    assert not any("runTest" in name for name in names)


def test_the_reproduce_command_keeps_every_option_that_changes_the_grade(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = toy_root / "solutions/toy/solution.py"
    tests = toy_root / "katas/toy/test_solution.py"
    main(
        ["grade", "toy", "--solution", str(reference), "--no-quality", "--seed", "3",
         "--check-timeout", "7", "--run-timeout", "50", "--tests", str(tests)],
        root=toy_root,
    )
    last = capsys.readouterr().out.strip().splitlines()[-1]
    command = last.split("reproduce: ", 1)[1]
    assert command == (
        f"kata grade toy --solution {reference} --seed 3 --check-timeout 7 --run-timeout 50 "
        f"--no-quality --tests {tests}"
    )


def test_a_failing_checks_snippet_is_its_test_code_and_no_temporary_path_is_shown(
    toy_root: Path, tmp_path: Path
) -> None:
    hidden = toy_root / "tests/hidden/toy/test_toy.py"
    hidden.write_text(hidden.read_text() + '''

@pytest.mark.clause("L1.2")
def test_a_new_total_is_zero_with_a_snippet() -> None:
    got = RunningTotal().add(0)
    if got != 0:
        raise AssertionError(
            f"expected 0, got {got}; from {__file__}\\n\\nReproduce with:\\n"
            "print(RunningTotal().add(0))"
        )
''')
    wrong = (toy_root / "solutions/toy/solution.py").read_text().replace(
        "self.total = 0\n", "self.total = 1\n"
    )
    check = by_name(grade_json(toy_root, wrong, tmp_path))["a new total is zero with a snippet"]
    assert check["status"] == "fail"
    assert check["test_code"] == "print(RunningTotal().add(0))"
    assert "Reproduce with" not in check["message"]
    assert "kata-work-" not in check["message"] and "checks/test_toy.py" in check["message"]


def test_stuck_at_names_the_innermost_line_and_the_method_the_check_called() -> None:
    dump = (
        "Thread 0x00007f01 (most recent call first):\n"
        '  File "/usr/lib/python3.11/threading.py", line 320 in wait\n'
        "\n"
        "Current thread 0x00007f02 (most recent call first):\n"
        '  File "solution.py", line 30 in _scan\n'
        '  File "solution.py", line 12 in get\n'
        '  File "checks/test_level1.py", line 40 in test_get\n'
        '  File "/venv/lib/python3.11/site-packages/_pytest/python.py", line 159 in call\n'
    )
    where, entry, lines = stuck_at(dump)
    assert (where, entry) == ("solution.py:30 in _scan", "get")
    assert lines == [
        "thread running the check:",
        "  solution.py:30 in _scan",
        "  solution.py:12 in get",
        "  checks/test_level1.py:40 in test_get",
    ]


HANG_SHAPES = {
    "a function assigned as the method": '''
class RunningTotal:
    def __init__(self) -> None:
        self.total = 0

    def reset(self) -> int:
        old, self.total = self.total, 0
        return old


def _spin(self: RunningTotal, n: int) -> int:
    while True:
        pass


RunningTotal.add = _spin  # type: ignore[attr-defined]
''',
    "a staticmethod": '''
class RunningTotal:
    def __init__(self) -> None:
        self.total = 0

    @staticmethod
    def add(n: int) -> int:
        while True:
            pass

    def reset(self) -> int:
        old, self.total = self.total, 0
        return old
''',
    "a helper the method calls": '''
def _forever() -> None:
    while True:
        pass


class RunningTotal:
    def __init__(self) -> None:
        self.total = 0

    def add(self, n: int) -> int:
        _forever()
        return 0

    def reset(self) -> int:
        old, self.total = self.total, 0
        return old
''',
}


@pytest.mark.parametrize("shape", list(HANG_SHAPES))
def test_a_hang_is_waited_for_once_whatever_name_holds_the_hanging_code(
    shape: str, toy_root: Path, tmp_path: Path
) -> None:
    extend_toy(toy_root)
    kata = load_kata("toy", toy_root)
    path = tmp_path / "solution.py"
    path.write_text(HANG_SHAPES[shape], encoding="utf-8")
    start = time.monotonic()
    run = run_suite(
        kata.hidden_suite, path, kata=kata, seed=3, limits=Limits(check_seconds=3, run_seconds=60)
    )
    elapsed = time.monotonic() - start
    guarded = [c for c in run.checks if c.message.startswith("not decided: `add`")]
    assert len(guarded) >= 3, [c.message for c in run.checks]
    assert all(c.status == "error" and c.timed_out for c in guarded)
    # One full per-check limit, a short wait, then no wait: seven checks at 3 s would be 21 s.
    assert elapsed < 15, elapsed


def test_the_guarded_call_stops_well_inside_the_check_limit() -> None:
    for check_seconds in (0.5, 1, 3, 10, 60):
        assert 0 < hung_call_seconds(check_seconds) <= check_seconds / 4
    assert hung_call_seconds(10) == HUNG_CALL_SECONDS


def test_hung_code_names_the_function_the_check_called_and_the_one_that_looped() -> None:
    source = HANG_SHAPES["a helper the method calls"]
    stack = (
        "Current thread 0x00007f (most recent call first):\n"
        '  File "solution.py", line 4 in _forever\n'
        '  File "solution.py", line 12 in add\n'
        '  File "checks/test_toy.py", line 12 in test_add\n'
    )
    assert hung_code(stack, source) == ["add:11", "_forever:2"]
    assert hung_code(stack, "not python (") == ["add:12", "_forever:4"]


ISOLATION_CHECKS = '''
import os
import resource
import sys
from pathlib import Path

import hypothesis


def test_runs_in_a_session_of_its_own_under_the_memory_limit_in_its_folder() -> None:
    assert os.getsid(0) == os.getpid()
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == 1024 * 1024 * 1024
    assert (Path.cwd() / "solution.py").is_file()
    assert os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") == "1"


def test_starts_from_clean_module_state() -> None:
    assert not hasattr(hypothesis, "_kata_left_behind"), "state of an earlier run leaked in"
    hypothesis._kata_left_behind = True
    assert "solution" not in sys.modules or sys.modules["solution"].__file__.startswith(os.getcwd())
'''


@pytest.mark.parametrize("fork", ["1", "0"])
def test_every_grading_run_gets_its_own_process_limits_folder_and_clean_modules(
    fork: str, toy_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KATA_FORK_SERVER", fork)
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    kata = load_kata("toy", toy_root)
    checks = here / "test_isolation.py"
    checks.write_text(ISOLATION_CHECKS, encoding="utf-8")
    for _ in range(2):  # the second run must not see what the first left in its modules
        run = run_suite(checks, kata.reference, seed=1, limits=Limits(memory_mb=1024))
        assert not run.error, run.error
        assert [c.status for c in run.checks] == ["pass", "pass"], [c.message for c in run.checks]
    assert sorted(p.name for p in here.iterdir()) == ["test_isolation.py"]
