"""Grading the learner's own tests, the way Examplar grades them with wheats and chaffs.

The test file runs against the reference (a failure there asserts something the statement does
not say), against every planted bug (each caught when any test fails or hangs), and against the
learner's solution. Each run is its own isolated process; bugs run two at a time.
"""

from __future__ import annotations

import tempfile
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


def grade_user_tests(
    kata: Kata,
    tests: Path,
    *,
    solution: Path | None = None,
    seed: int = 0,
    limits: Limits = Limits(),
    workers: int = 2,
) -> UserTests:
    """Run the learner's `tests` against the reference, each planted bug and `solution`."""
    result = UserTests(file=str(tests))
    bugs = load_bugs(kata.planted_bugs)
    result.bugs_total = len(bugs)
    try:
        on_reference = run_suite(
            tests, kata.reference, seed=seed, profile=USER_PROFILE, limits=limits
        )
    except KataError as error:
        result.error = str(error)
        return result
    result.error = _problem(on_reference)
    if result.error:
        return result
    failing = [c for c in on_reference.checks if not c.passed]
    result.failing_on_reference = [c.name for c in failing]
    result.reference_messages = [c.message for c in failing]
    result.passed_on_reference = not failing
    if failing:
        # Untrustworthy tests earn no credit: spare the bug runs until they pass on the reference.
        bugs = []
    source = kata.reference.read_text(encoding="utf-8")

    def catches(bug: Bug) -> bool:
        with tempfile.TemporaryDirectory(prefix="kata-bug-") as tmp:
            planted = Path(tmp) / "solution.py"
            planted.write_text(bug.apply(source), encoding="utf-8")
            run = run_suite(tests, planted, seed=seed, profile=USER_PROFILE, limits=limits)
        return bool(run.error) or any(not c.passed for c in run.checks)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        caught = list(pool.map(catches, bugs))
    result.bugs_caught = sum(caught)
    result.missed = [bug.description for bug, hit in zip(bugs, caught, strict=True) if not hit]
    if solution is not None:
        on_solution = run_suite(tests, solution, seed=seed, profile=USER_PROFILE, limits=limits)
        result.passed_on_solution = not _problem(on_solution) and all(
            c.passed for c in on_solution.checks
        )
        result.failing_on_solution = [c.name for c in on_solution.checks if not c.passed]
    return result
