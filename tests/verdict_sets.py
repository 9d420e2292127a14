"""Which clauses a graded run says are broken, read from the checks' typed fields."""

from __future__ import annotations

from kata.grading import Check, SuiteRun


def causes(check: Check) -> set[str] | None:
    """The clauses a "not decided" check names as failing first (None for a check that decided:
    passed or failed). A check that ran out of time is not decided either: it names no clause."""
    if check.cause:
        return set(check.cause)
    return set() if check.timed_out else None


def failing_clauses(run: SuiteRun) -> set[str]:
    """The clauses of the checks that decided a failure (not the "not decided" ones)."""
    return {c for check in run.checks if not check.passed and causes(check) is None
            for c in check.clauses}  # fmt: skip
