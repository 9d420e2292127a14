"""`grade`: one kata, one solution file, every check, one report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from kata import quality
from kata.catalog import Kata
from kata.grading import Check, ensure_python_file, run_suite
from kata.model import MissedBug
from kata.report import Report
from kata.sandbox import Limits, allow_starts, stop_all
from kata.usertests import bugs_for_level, grade_user_tests

PROFILES = ("quick", "thorough")
PROFILE_LIMITS = {
    "quick": Limits(check_seconds=10, run_seconds=120),
    "thorough": Limits(check_seconds=120, run_seconds=1200),
}


def grade_options(
    profile: str, limits: Limits, *, check_quality: bool, strict_quality: bool, tests: Path | None
) -> list[str]:
    """The `kata grade` options, beyond file, seed, profile and level, that reproduce a grade."""
    base = PROFILE_LIMITS.get(profile, Limits())
    words = []
    for flag, value, default in (
        ("--check-timeout", limits.check_seconds, base.check_seconds),
        ("--run-timeout", limits.run_seconds, base.run_seconds),
        ("--memory-mb", limits.memory_mb, base.memory_mb),
    ):
        if value != default:
            words.append(f"{flag} {value:g}")
    if not check_quality:
        words.append("--no-quality")
    if strict_quality:
        words.append("--strict-quality")
    if tests is not None:
        words.append(f"--tests {tests}")
    return words


def time_the_reference(
    kata: Kata,
    solution: Path,
    checks: list[Check],
    *,
    seed: int,
    profile: str,
    limits: Limits,
    seconds: float,
) -> str:
    """For each check that ran out of time, run the reference on it (same seed, same machine,
    now), add to its message how long the reference took and return a note that says so ("" when
    no check ran out of time); one extra process in all, given at most `seconds` (what is left of
    the grade's run limit; nothing is run with less than a second left)."""
    slow = {c.id: c for c in checks if c.timed_out and not c.message.startswith("not decided: `")}
    if not slow or solution.resolve() == kata.reference.resolve() or seconds < 1:
        return ""
    run = run_suite(
        kata.hidden_suite,
        kata.reference,
        seed=seed,
        profile=profile,
        limits=replace(limits, run_seconds=min(limits.check_seconds * len(slow) + 10, seconds)),
        only=list(slow),
    )
    took = []
    for done in run.checks:
        if done.id in slow:
            took.append(
                f"{done.name!r}: {done.duration_s:.2f} s" if done.passed else f"{done.name!r}: "
                "did not finish either"
            )
            slow[done.id].message += (
                f"\nthe reference finished this check in {done.duration_s:.2f} s on this machine "
                "just now" if done.passed else "\nthe reference did not finish it either just now"
            )
    return (
        f"{len(slow)} check{'s' * (len(slow) != 1)} ran out of time (not decided: too slow); the "
        f"reference on this machine just now: {'; '.join(took)}"
    )


def missed_bugs(kata: Kata, descriptions: list[str], level: int | None) -> list[MissedBug]:
    """The planted bugs of levels 1..`level` whose description is among `descriptions` (each
    description matched once); O(bugs * descriptions)."""
    left = list(descriptions)
    missed = []
    for bug in bugs_for_level(kata, level):
        if bug.description in left:
            left.remove(bug.description)
            missed.append(MissedBug(bug.id, bug.level, bug.clause, bug.description))
    return missed


def grade(
    kata: Kata,
    solution: Path,
    *,
    label: str | None = None,
    seed: int = 0,
    profile: str = "quick",
    level: int | None = None,
    limits: Limits = Limits(),
    check_quality: bool = True,
    strict_quality: bool = False,
    tests: Path | None = None,
    tests_label: str | None = None,
    on_check: Callable[[Check], None] = lambda check: None,
    clock: Callable[[], float] = time.monotonic,
) -> Report:
    """Grade `solution` against the kata's hidden suite (and, given `tests`, grade those tests).

    The hidden suite runs in its own processes under `limits`; ruff, mypy and the learner's
    tests run beside it.
    Raises SolutionError if `solution` is not a readable .py file.
    """
    ensure_python_file(solution)
    start = clock()
    report = Report(
        kata=kata,
        solution=label or str(solution),
        seed=seed,
        profile=profile,
        strict_quality=strict_quality,
        level=level,
        options=grade_options(
            profile,
            limits,
            check_quality=check_quality,
            strict_quality=strict_quality,
            tests=Path(tests_label) if tests_label and tests else tests,
        ),
    )
    allow_starts()
    pool = ThreadPoolExecutor(max_workers=3)
    try:
        lint = pool.submit(quality.ruff, solution) if check_quality else None
        types = pool.submit(quality.mypy, solution) if check_quality else None
        # The learner's tests need nothing from the hidden checks: they run alongside.
        user_tests = (
            pool.submit(
                grade_user_tests,
                kata,
                tests,
                solution=solution,
                seed=seed,
                limits=limits,
                level=level,
            )
            if tests is not None
            else None
        )
        run = run_suite(
            kata.hidden_suite,
            solution,
            kata=kata,
            seed=seed,
            profile=profile,
            level=level,
            limits=limits,
            on_check=on_check,
            clock=clock,
        )
        report.phases["hidden checks"] = clock() - start
        found = [f.result() for f in (lint, types) if f is not None]
        report.quality = [quality.as_check(f) for f in found]
        report.findings = {f.tool: None if f.error else f.count for f in found}
        if check_quality:
            report.phases["code quality (beyond the checks)"] = (
                clock() - start - report.phases["hidden checks"]
            )
        if not run.error:
            phase = clock()
            note = time_the_reference(
                kata,
                solution,
                run.checks,
                seed=seed,
                profile=profile,
                limits=limits,
                seconds=start + limits.run_seconds - clock(),
            )
            if note:
                run.notes.append(note)
                report.phases["the reference on the slow checks"] = clock() - phase
        if user_tests is not None:
            phase = clock()
            report.user_tests = user_tests.result()
            report.user_tests.file = tests_label or report.user_tests.file
            report.missed_bugs = missed_bugs(kata, report.user_tests.missed, level)
            report.phases["waiting for your tests' runs (they run alongside)"] = clock() - phase
    except BaseException:
        stop_all()  # Ctrl-C: the runs in other threads end now, not when they are done
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    report.checks, report.error = run.checks, run.error
    report.problems, report.notes = run.problems, run.notes
    if not run.error and not run.checks:
        report.error = "the hidden suite ran no checks"
    report.duration_s = clock() - start
    return report
