"""`grade`: one kata, one solution file, every check, one report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kata import quality
from kata.catalog import Kata
from kata.grading import Check, run_suite
from kata.report import Report
from kata.sandbox import Limits
from kata.usertests import grade_user_tests

PROFILES = ("quick", "thorough")


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
    on_check: Callable[[Check], None] = lambda check: None,
    clock: Callable[[], float] = time.monotonic,
) -> Report:
    """Grade `solution` against the kata's hidden suite (and, given `tests`, grade those tests).

    The hidden suite runs in its own processes under `limits`; ruff and mypy run beside it.
    Raises SolutionError if `solution` is not a readable .py file.
    """
    start = clock()
    report = Report(
        kata=kata,
        solution=label or str(solution),
        seed=seed,
        profile=profile,
        strict_quality=strict_quality,
        level=level,
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        lint = pool.submit(quality.ruff, solution) if check_quality else None
        types = pool.submit(quality.mypy, solution) if check_quality else None
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
        report.quality = [quality.as_check(f.result()) for f in (lint, types) if f is not None]
    report.checks, report.error = run.checks, run.error
    report.problems, report.notes = run.problems, run.notes
    if not run.error and not run.checks:
        report.error = "the hidden suite ran no checks"
    if tests is not None:
        report.user_tests = grade_user_tests(
            kata, tests, solution=solution, seed=seed, limits=limits
        )
    report.duration_s = clock() - start
    return report
