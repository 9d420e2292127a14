"""`kata grade --tests`: the learner's own tests against the reference, planted bugs and their code."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kata.catalog import kata_ids, load_kata
from kata.cli import main
from kata.grading import run_suite
from kata.report import UserTests
from kata.usertests import grade_user_tests

THOROUGH = """
from solution import RunningTotal


def test_a_new_total_starts_at_zero() -> None:
    assert RunningTotal().add(0) == 0


def test_reset_returns_the_old_total() -> None:
    total = RunningTotal()
    total.add(4)
    assert total.reset() == 4
"""

ONE_TEST = """
from solution import RunningTotal


def test_add_returns_a_number() -> None:
    assert isinstance(RunningTotal().add(2), int)
"""

WRONG = """
from solution import RunningTotal


def test_reset_returns_zero() -> None:
    total = RunningTotal()
    total.add(4)
    assert total.reset() == 0, "reset should return the new total"
"""


def grade_tests(root: Path, tests: str, tmp_path: Path, *extra: str) -> dict[str, object]:
    path = tmp_path / "test_mine.py"
    path.write_text(tests, encoding="utf-8")
    out = tmp_path / "r.json"
    main(
        [
            "grade",
            "toy",
            "--reference",
            "--no-quality",
            "--seed",
            "1",
            "--tests",
            str(path),
            "--json",
            str(out),
            *extra,
        ],
        root=root,
        rng=random.Random(0),
    )
    result: dict[str, object] = json.loads(out.read_text())["user_tests"]
    return result


def test_thorough_tests_catch_every_planted_bug(toy_root: Path, tmp_path: Path) -> None:
    result = grade_tests(toy_root, THOROUGH, tmp_path)
    assert result["passed_on_reference"] is True
    assert (result["bugs_caught"], result["bugs_total"]) == (2, 2)
    assert result["missed"] == []


def test_a_single_weak_test_catches_few_bugs_and_names_the_missed_ones(
    toy_root: Path, tmp_path: Path
) -> None:
    result = grade_tests(toy_root, ONE_TEST, tmp_path)
    assert result["bugs_caught"] == 0
    assert result["missed"] == [
        "reset returns 0 instead of the old total",
        "a new total starts at 1",
    ]


def test_tests_that_fail_on_the_reference_are_set_aside_and_earn_no_credit(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = grade_tests(toy_root, WRONG, tmp_path)
    assert result["passed_on_reference"] is False
    assert result["failing_on_reference"] == ["reset returns zero"]
    assert (result["bugs_caught"], result["bugs_run"], result["set_aside"]) == (0, 0, 1)
    out = capsys.readouterr().out
    assert "set aside: 1 of 1" in out and "reset should return the new total" in out
    assert "none of your tests passes on the reference" in out


def test_one_test_failing_on_the_reference_does_not_withhold_the_credit_of_the_others(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong_test = WRONG.split("\n\n\n", 1)[1]
    result = grade_tests(toy_root, THOROUGH + "\n\n" + wrong_test, tmp_path)
    assert result["failing_on_reference"] == ["reset returns zero"]
    assert (result["bugs_caught"], result["bugs_total"], result["set_aside"]) == (2, 2, 1)
    out = capsys.readouterr().out
    assert "planted bugs caught: 2 of 2 with 1 of your tests set aside" in out


def test_a_test_that_fails_on_the_reference_catches_no_bug_even_when_it_fails_on_one(
    toy_root: Path, tmp_path: Path
) -> None:
    # The wrong test fails on the bug "a new total starts at 1" (reset returns 5 there), so it
    # would catch that bug if it counted; set aside, it must not, and the weak test catches none.
    wrong_test = WRONG.split("\n\n\n", 1)[1]
    result = grade_tests(toy_root, ONE_TEST + "\n\n" + wrong_test, tmp_path)
    assert (result["bugs_caught"], result["set_aside"]) == (0, 1)


def test_a_test_too_slow_on_the_reference_is_set_aside_as_slow_not_as_wrong(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = THOROUGH + (
        "\n\ndef test_a_patient_test() -> None:\n"
        "    import time\n"
        "    time.sleep(30)\n"
    )
    result = grade_tests(toy_root, slow, tmp_path, "--check-timeout", "2")
    assert result["too_slow_on_reference"] == ["a patient test"]
    assert (result["bugs_caught"], result["set_aside"]) == (2, 1)
    out = capsys.readouterr().out
    assert "set aside: 1 of 3 did not finish within the time limit" in out
    assert "too slow, not wrong" in out and "fail on the reference" not in out


def test_level_grades_the_learners_tests_against_that_levels_bugs_only(
    toy_root: Path, tmp_path: Path
) -> None:
    path = tmp_path / "test_mine.py"
    path.write_text(THOROUGH, encoding="utf-8")
    out = tmp_path / "r.json"
    main(
        ["grade", "toy", "--reference", "--no-quality", "--seed", "1", "--level", "1",
         "--tests", str(path), "--json", str(out)],
        root=toy_root,
    )
    result = json.loads(out.read_text())["user_tests"]
    assert (result["bugs_caught"], result["bugs_total"]) == (1, 1)
    assert result["missed"] == []


@pytest.mark.parametrize(
    ("tests", "words"),
    [
        ("import nonexistent_module\n", "could not be run"),
        ("def helper() -> None:\n    pass\n", "collects no tests"),
        ("def test_x(:\n", "could not be run"),
    ],
)
def test_a_test_file_that_cannot_run_gets_a_clear_message_and_no_credit(
    toy_root: Path, tmp_path: Path, tests: str, words: str
) -> None:
    result = grade_tests(toy_root, tests, tmp_path)
    assert result["bugs_caught"] == 0
    assert words in str(result["error"])


def test_the_learners_tests_also_run_on_the_learners_solution(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["start", "toy"], root=toy_root)
    work = toy_root / "work" / "toy"
    (work / "solution.py").write_text((toy_root / "solutions/toy/solution.py").read_text())
    (work / "test_solution.py").write_text(WRONG)
    capsys.readouterr()
    assert main(["grade", "toy", "--no-quality", "--seed", "1"], root=toy_root) == 0
    out = capsys.readouterr().out
    assert "Your tests" in out
    assert "on your solution: 1 fail: reset returns zero" in out


# --- the real katas: learner-style test files in tests/fixtures/learner/<id>/ ----------------

LEARNER = Path(__file__).parent / "fixtures" / "learner"
KATAS_WITH_FIXTURES = (
    sorted(p.name for p in LEARNER.iterdir() if p.is_dir()) if LEARNER.is_dir() else []
)


def learner_grade(kid: str, name: str) -> UserTests:
    return grade_user_tests(load_kata(kid), LEARNER / kid / name, seed=1)


def test_both_katas_ship_learner_test_fixtures() -> None:
    assert set(KATAS_WITH_FIXTURES) == set(kata_ids())


@pytest.mark.parametrize("kid", KATAS_WITH_FIXTURES)
def test_a_thorough_test_file_catches_most_planted_bugs(kid: str) -> None:
    result = learner_grade(kid, "thorough_test.py")
    assert result.passed_on_reference, result.failing_on_reference
    assert result.bugs_caught >= 0.8 * result.bugs_total, result.missed


@pytest.mark.parametrize("kid", KATAS_WITH_FIXTURES)
def test_a_one_test_file_catches_few_planted_bugs(kid: str) -> None:
    result = learner_grade(kid, "one_test.py")
    assert result.passed_on_reference, result.failing_on_reference
    assert result.bugs_caught <= 0.3 * result.bugs_total
    assert len(result.missed) == result.bugs_total - result.bugs_caught


@pytest.mark.parametrize("kid", KATAS_WITH_FIXTURES)
def test_a_test_file_asserting_wrong_behaviour_is_flagged_on_the_reference(kid: str) -> None:
    result = learner_grade(kid, "wrong_test.py")
    assert not result.passed_on_reference
    assert result.failing_on_reference
    assert not result.trustworthy
    assert len(result.failing_on_reference) == len(result.reference_messages)


@pytest.mark.parametrize("kid", KATAS_WITH_FIXTURES)
def test_tests_that_follow_the_statements_literal_words_pass_on_the_reference(kid: str) -> None:
    # literal_test.py asserts the edge clauses word for word (R1 with subnormal departures, the
    # error types the statement names, exact boundaries): a learner who writes them must never
    # be told they assert something the statement does not say.
    kata = load_kata(kid)
    run = run_suite(LEARNER / kid / "literal_test.py", kata.reference, seed=1)
    assert not run.error, run.error
    failing = {c.name: c.message for c in run.checks if not c.passed}
    assert run.checks and not failing, failing
