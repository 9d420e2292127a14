"""Grading the learner's own tests, the way Examplar grades them with wheats and chaffs.

The test file runs against the reference, against every planted bug (each caught when any test
fails or hangs), and against the learner's solution. A test that fails on the reference asserts
something the statement does not say: it is set aside (reported with its message) and the others
are graded without it, so one wrong test never hides what the rest are worth. Each run is its own
isolated process; bug runs go in parallel and stop at the first failing test.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kata.catalog import Kata
from kata.errors import KataError
from kata.grading import SuiteRun, run_suite
from kata.planted import Bug, load_bugs
from kata.report import UserTests
from kata.sandbox import Limits

USER_PROFILE = "quick"


def _problem(run: SuiteRun) -> str:
    """Why a test file gave no verdicts, in words, or "" when it did."""
    if run.error:
        return f"your test file could not be run: {run.error.splitlines()[0] if run.error else ''}"
    if not run.checks:
        return "your test file collects no tests (test functions must be named test_*)"
    return ""


def default_workers() -> int:
    """Bug runs at once: one per core the grader may use, at least 2."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 2
    return max(2, cores)


def bugs_for_level(kata: Kata, level: int | None) -> list[Bug]:
    """The kata's planted bugs of levels 1..`level` (all of them for None)."""
    bugs = load_bugs(kata.planted_bugs)
    return bugs if level is None else [b for b in bugs if b.level <= level]


def grade_user_tests(
    kata: Kata,
    tests: Path,
    *,
    solution: Path | None = None,
    seed: int = 0,
    limits: Limits = Limits(),
    level: int | None = None,
    workers: int | None = None,
) -> UserTests:
    """Run the learner's `tests` against the reference, each planted bug of levels 1..`level`
    (every bug for None) and `solution`; tests that fail on the reference are set aside for the
    bug runs and earn no credit. Cost: 2 + (number of bugs) runs of the file, `workers` at once."""
    result = UserTests(file=str(tests))
    # Every run of the file: same seed and limits, example-based tests before property-based ones.
    run_tests = functools.partial(
        run_suite, tests, seed=seed, profile=USER_PROFILE, limits=limits, examples_first=True
    )
    phase = time.monotonic()
    bugs = bugs_for_level(kata, level)
    result.bugs_total = len(bugs)
    try:
        on_reference = run_tests(kata.reference)
    except KataError as error:
        result.error = str(error)
        return result
    result.error = _problem(on_reference)
    result.phases["your tests on the reference"], phase = time.monotonic() - phase, time.monotonic()
    if result.error:
        return result
    failing = [c for c in on_reference.checks if not c.passed]
    result.failing_on_reference = [c.name for c in failing]
    result.reference_messages = [c.message for c in failing]
    result.too_slow_on_reference = [c.name for c in failing if c.timed_out]
    result.passed_on_reference = not failing
    result.tests_total = len(on_reference.checks)
    set_aside = [c.id for c in failing]
    if len(failing) == len(on_reference.checks):
        bugs = []  # no test is left to earn credit
    source = kata.reference.read_text(encoding="utf-8")

    def catches(bug: Bug) -> str:
        """"" if no test caught `bug`, else how: "example" or "property" (only a Hypothesis
        test failed: example-based tests run first, so none of them failed)."""
        with tempfile.TemporaryDirectory(prefix="kata-bug-") as tmp:
            planted = Path(tmp) / "solution.py"
            planted.write_text(bug.apply(source), encoding="utf-8")
            run = run_tests(planted, deselect=set_aside, stop_at_first_failure=True, shrink=False)
        if run.error:
            return "example"
        first = next((c for c in run.checks if not c.passed), None)
        return "" if first is None else "property" if first.property_based else "example"

    def on_solution() -> SuiteRun | None:
        if solution is None:
            return None
        return run_tests(solution)

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        mine = pool.submit(on_solution)
        caught = list(pool.map(catches, bugs))
        solution_run = mine.result()
    result.phases["your tests on the planted bugs and your solution"] = time.monotonic() - phase
    result.bugs_run = len(bugs)
    result.bugs_caught = sum(bool(how) for how in caught)
    result.missed = [bug.description for bug, how in zip(bugs, caught, strict=True) if not how]
    result.caught_by_property_only = [
        bug.description for bug, how in zip(bugs, caught, strict=True) if how == "property"
    ]
    if solution_run is not None:
        result.passed_on_solution = not _problem(solution_run) and all(
            c.passed for c in solution_run.checks
        )
        result.failing_on_solution = [c.name for c in solution_run.checks if not c.passed]
        result.too_slow_on_solution = [c.name for c in solution_run.checks if c.timed_out]
    return result
