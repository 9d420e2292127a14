"""`kata grade --tests`: the learner's own tests against the reference, planted bugs and their code."""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import signal
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from kata import grade as grading_job
from kata.bugcache import RunCache
from kata.catalog import Kata, kata_ids, load_kata
from kata.cli import main
from kata.grading import run_suite
from kata.planted import load_bugs
from kata.report import Printer, Report, UserTests
from kata.sandbox import DEFAULT_LIMITS, Limits
from kata.usertests import _longest_first, grade_user_tests, hints_name

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


def test_the_time_line_adds_up_to_the_grade_and_the_runs_alongside_are_apart(
    toy_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grade_tests(toy_root, THOROUGH, tmp_path)
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("time: "))
    parts = [p.rsplit(" ", 2) for p in lines[at].removeprefix("time: ").split(" · ")]
    own = {name: float(seconds) for name, seconds, _ in parts}
    total = float(re.search(r"^pass in (\d+\.\d) s", lines[at + 2])[1])  # type: ignore[index]
    assert "hidden checks" in own and "then waiting for your tests' runs" in own, lines[at]
    # Each phase is rounded to 0.1 s on its own, and the total is taken a moment later.
    assert abs(sum(own.values()) - total) <= 0.3, lines[at : at + 3]
    assert lines[at + 1].startswith("  meanwhile, in processes of their own: your tests on")


@pytest.mark.parametrize(
    ("bugs", "said"),
    [(["a"], "1 bug was caught only by a property-based test"),
     (["a", "b"], "2 bugs were caught only by a property-based test")],
)  # fmt: skip
def test_the_bugs_only_a_property_caught_are_counted_in_words_that_agree(
    toy_root: Path, bugs: list[str], said: str
) -> None:
    kata = load_kata("toy", toy_root)
    tests = UserTests(file="test_mine.py", passed_on_reference=True, bugs_caught=2, bugs_total=2,
                      bugs_run=2, caught_by_property_only=bugs)  # fmt: skip
    out = io.StringIO()
    Printer(kata, stream=out, colour=False).user_tests(tests, Report(kata, "x", 1, "quick"))
    assert said in out.getvalue(), out.getvalue()
    assert ("miss it;" in out.getvalue()) == (len(bugs) == 1)


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


LEARNER_SIZED = [kid for kid in KATAS_WITH_FIXTURES if (LEARNER / kid / "learner_test.py").is_file()]


@pytest.mark.parametrize("kid", LEARNER_SIZED)
def test_the_learner_sized_file_is_as_big_as_a_learners_and_passes_on_the_reference(
    kid: str,
) -> None:
    path = LEARNER / kid / "learner_test.py"
    functions = re.findall(r"^def test_|^Test\w+ = \w+\.TestCase", path.read_text(), re.MULTILINE)
    assert len(functions) >= 100
    run = run_suite(path, load_kata(kid).reference, seed=1, profile="quick")
    assert not run.error, run.error
    assert len(run.checks) >= 200
    failing = {c.name: c.message for c in run.checks if not c.passed}
    assert not failing, failing


@pytest.mark.parametrize("kid", LEARNER_SIZED)
def test_the_learner_sized_file_catches_every_bug_the_thorough_one_catches(kid: str) -> None:
    thorough = learner_grade(kid, "thorough_test.py")
    sized = learner_grade(kid, "learner_test.py")
    assert sized.passed_on_reference, sized.failing_on_reference
    assert set(sized.missed) <= set(thorough.missed), set(sized.missed) - set(thorough.missed)


def toy_tests(tmp_path: Path, source: str, name: str = "test_mine.py") -> Path:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return path


STRAYS = '''

def test_a_server_in_a_session_of_its_own() -> None:
    import subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)  # MARK"],
                     start_new_session=True)


def test_a_daemon_that_forks_twice() -> None:
    import subprocess, sys
    code = "import os, time\\nif os.fork() == 0:\\n    os.setsid()\\n    time.sleep(60)  # MARK\\n"
    subprocess.run([sys.executable, "-c", code], check=True)
'''


def processes_with(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if mark.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_a_child_that_leaves_the_process_group_costs_little_and_is_not_left_running(
    toy_root: Path, tmp_path: Path
) -> None:
    kata = load_kata("toy", toy_root)
    plain = toy_tests(tmp_path, THOROUGH, "test_plain.py")
    mark = f"kata-stray-{uuid.uuid4().hex}"
    strays = toy_tests(tmp_path, THOROUGH + STRAYS.replace("MARK", mark))
    start = time.monotonic()
    grade_user_tests(kata, plain, solution=kata.reference, seed=1)
    without = time.monotonic() - start
    start = time.monotonic()
    result = grade_user_tests(kata, strays, solution=kata.reference, seed=1)
    with_strays = time.monotonic() - start
    left = processes_with(mark)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, "a process a test started was left running"
    assert result.passed_on_reference and result.passed_on_solution
    assert (result.bugs_caught, result.bugs_total) == (2, 2)
    assert with_strays < without + 5, (with_strays, without)


SKIPPED = '''

import pytest


@pytest.mark.skip(reason="work in progress")
def test_not_written_yet() -> None:
    assert RunningTotal().add(1) == 42


@pytest.mark.xfail(reason="I am not sure yet")
def test_a_guess() -> None:
    assert RunningTotal().add(1) == 42


def test_skipped_at_run_time() -> None:
    pytest.skip("later")
'''


def test_skipped_and_xfailed_tests_are_neither_set_aside_nor_failing_and_earn_nothing(
    toy_root: Path, tmp_path: Path
) -> None:
    kata = load_kata("toy", toy_root)
    tests = toy_tests(tmp_path, ONE_TEST + SKIPPED)
    result = grade_user_tests(kata, tests, solution=kata.reference, seed=1)
    assert result.failing_on_reference == []
    assert result.passed_on_reference is True
    assert sorted(result.skipped_on_reference) == [
        "a guess", "not written yet", "skipped at run time"
    ]
    assert result.bugs_caught == 0, "a skipped or xfailed test earned credit"
    assert result.passed_on_solution is True and result.failing_on_solution == []


def test_a_second_grade_reuses_the_planted_bug_runs_until_an_input_changes(
    toy_root: Path, tmp_path: Path
) -> None:
    kata = load_kata("toy", toy_root)
    tests = toy_tests(tmp_path, THOROUGH)
    cache = tmp_path / "cache"

    def graded(seed: int = 1, fresh: bool = False) -> UserTests:
        return grade_user_tests(
            kata, tests, solution=kata.reference, seed=seed, cache_dir=cache, fresh=fresh
        )

    first = graded()
    assert not first.reused
    again = graded()
    assert again.reused and again.results_made_at is not None
    assert (again.bugs_caught, again.bugs_total, again.passed_on_solution) == (2, 2, True)
    assert not graded(seed=2).reused, "another seed reused the runs"
    assert not graded(fresh=True).reused, "--fresh reused the runs"
    tests.write_text(THOROUGH + "\n\ndef test_more() -> None:\n    pass\n", encoding="utf-8")
    changed = graded()
    assert not changed.reused, "a changed test file reused the runs"
    assert changed.tests_total == 3


def test_runs_that_did_not_finish_are_never_kept(toy_root: Path, tmp_path: Path) -> None:
    kata = load_kata("toy", toy_root)
    slow = THOROUGH + "\n\ndef test_a_patient_test() -> None:\n    import time\n    time.sleep(30)\n"
    tests = toy_tests(tmp_path, slow)
    cache = tmp_path / "cache"
    limits = Limits(check_seconds=1)
    grade_user_tests(kata, tests, seed=1, limits=limits, cache_dir=cache)
    again = grade_user_tests(kata, tests, seed=1, limits=limits, cache_dir=cache)
    assert not again.reused, "a run with a test out of time was kept"


def test_the_tests_that_caught_bugs_are_kept_to_run_first_next_time(
    toy_root: Path, tmp_path: Path
) -> None:
    kata = load_kata("toy", toy_root)
    tests = toy_tests(tmp_path, THOROUGH)
    cache = tmp_path / "cache"
    grade_user_tests(kata, tests, seed=1, cache_dir=cache)
    hints = RunCache(cache).hints(f"toy\0{tests.resolve()}")
    assert set(hints["catchers"]) == {"reset-returns-new-total", "starts-at-one"}
    assert all(test.startswith("test_mine.py::") for test in hints["catchers"].values())


def test_kata_grade_keeps_the_catchers_under_the_learners_path_not_the_graded_copy(
    toy_root: Path, tmp_path: Path, kata_home: Path
) -> None:
    # `kata grade` grades a copy of the test file in a folder of its own; the next grade of the
    # same file must find which tests caught which bug, so they are kept under its own path.
    grade_tests(toy_root, THOROUGH, tmp_path)
    hints = RunCache(kata_home / "cache").hints(f"toy\0{(tmp_path / 'test_mine.py').resolve()}")
    assert set(hints.get("catchers", {})) == {"reset-returns-new-total", "starts-at-one"}


def test_the_bug_runs_that_took_longest_start_first_and_cost_clause_bugs_when_unknown(
    toy_root: Path,
) -> None:
    kata = load_kata("toy", toy_root)
    bugs = load_bugs(kata.planted_bugs)
    assert [b.id for b in bugs] == ["reset-returns-new-total", "starts-at-one"]
    def started(seconds: dict[str, float], kata: Kata) -> list[str]:
        return [b.id for b in _longest_first(bugs, seconds, kata)]

    assert started({"starts-at-one": 2.0}, kata) == ["starts-at-one", "reset-returns-new-total"]
    assert started({}, replace(kata, cost_clauses=("L1.2",)))[0] == "starts-at-one"
    assert started({}, kata) == [b.id for b in bugs]


AT_EXIT = """
import atexit
import os
import threading
import time

from solution import RunningTotal


def _note(what: str) -> None:
    with open(os.environ["KATA_TEST_NOTES"], "a", encoding="utf-8") as notes:
        notes.write(what + "\\n")


atexit.register(_note, "exit handler")


def _late() -> None:
    time.sleep(0.3)
    _note("thread")


def test_starts_a_thread_that_ends_after_the_test() -> None:
    threading.Thread(target=_late).start()
    assert RunningTotal().add(1) == 1
"""


def test_a_run_ends_as_python_does_threads_joined_then_exit_handlers(
    toy_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A forked run skips the interpreter's module teardown, not what a test can see of its exit.
    notes = tmp_path / "notes.txt"
    monkeypatch.setenv("KATA_TEST_NOTES", str(notes))
    kata = load_kata("toy", toy_root)
    run = run_suite(toy_tests(tmp_path, AT_EXIT), kata.reference, seed=1)
    assert [c.status for c in run.checks] == ["pass"] and not run.problems, run
    assert notes.read_text(encoding="utf-8").splitlines() == ["thread", "exit handler"]


MAPPED = """
import inspect


def test_the_preloaded_modules_are_already_mapped_to_their_files() -> None:
    assert "numpy" in inspect._filesbymodname
"""


def test_a_run_finds_the_preloaded_modules_files_mapped_as_a_traceback_needs_them(
    toy_root: Path, tmp_path: Path
) -> None:
    # The first traceback of a process maps every loaded module to its file (`inspect`): the fork
    # server did it once, so a run whose test fails does not pay for it again.
    kata = load_kata("toy", toy_root)
    run = run_suite(toy_tests(tmp_path, MAPPED), kata.reference, seed=1)
    assert [c.status for c in run.checks] == ["pass"], run


def test_the_hidden_checks_take_two_processes_unless_the_learners_tests_took_a_second(
    toy_root: Path, tmp_path: Path
) -> None:
    kata = load_kata("toy", toy_root)
    tests = toy_tests(tmp_path, THOROUGH)
    cache = tmp_path / "cache"

    def shards(graded: Path | None) -> int:
        job = grading_job._Job(
            kata, kata.reference, "reference", 1, "quick", None, DEFAULT_LIMITS, False, False,
            graded, None, cache, False,
        )  # fmt: skip
        return job.hidden_shards()

    assert shards(None) == 2
    assert shards(tests) == 1, "a first run of the file may be the longer part"
    grade_user_tests(kata, tests, seed=1, cache_dir=cache)
    assert shards(tests) == 2, "two quick tests kept the hidden checks in one process"
    RunCache(cache).note(hints_name(kata, tests), {"reference_s": 3.0})
    assert shards(tests) == 1


def test_first_runs_the_named_checks_before_the_others(toy_root: Path) -> None:
    kata = load_kata("toy", toy_root)
    seen: list[str] = []
    last = "test_toy.py::test_reset_returns_the_old_total_and_starts_again"
    run_suite(
        kata.hidden_suite, kata.reference, seed=1, first=[f"checks/{last}"],
        on_check=lambda check: seen.append(check.id),
    )
    assert seen[0] == f"checks/{last}", seen


def test_the_slowest_tests_of_the_bug_runs_are_named_with_their_time_per_run(
    toy_root: Path, tmp_path: Path
) -> None:
    # The weak test catches neither bug, so both tests run in both bug runs. (Beside a test that
    # catches the bug, the slow one would run last and not at all: a run stops at its first
    # failing test.)
    kata = load_kata("toy", toy_root)
    slow = "\n\ndef test_a_slow_one() -> None:\n    import time\n    time.sleep(0.5)\n"
    tests = toy_tests(tmp_path, ONE_TEST + slow)
    result = grade_user_tests(kata, tests, seed=1)
    slowest = result.slowest
    assert slowest and slowest[0].name == "a slow one", slowest
    # a sleep of 0.5 s, timed by the run that reports it: allow a little for how it is timed
    assert slowest[0].runs == 2 and slowest[0].seconds_per_run >= 0.45
    assert slowest[0].total_s == pytest.approx(slowest[0].runs * slowest[0].seconds_per_run)


def test_the_run_cache_merges_bugs_writes_whole_files_and_treats_damage_as_a_miss(
    tmp_path: Path,
) -> None:
    cache = RunCache(tmp_path / "cache")
    assert cache.load("k") is None
    cache.merge("k", {"reference": {"checks": []}, "bugs": {"a": {"how": "example"}}})
    cache.merge("k", {"reference": {"checks": []}, "bugs": {"b": {"how": ""}}})
    entry = cache.load("k")
    assert entry is not None and set(entry["bugs"]) == {"a", "b"}
    assert RunCache(tmp_path / "cache", fresh=True).load("k") is None
    assert RunCache(None).load("k") is None
    assert not list((tmp_path / "cache").glob("*.tmp")), "a temporary file was left behind"
    (tmp_path / "cache" / "k.json").write_text("{not json", encoding="utf-8")
    assert cache.load("k") is None
