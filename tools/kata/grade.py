"""`grade`: one kata, one solution file, every check, one report."""

from __future__ import annotations

import ast
import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

from kata import quality
from kata.catalog import Kata
from kata.grading import Check, Clock, SuiteRun, ensure_python_file, run_suite
from kata.model import MissedBug
from kata.report import Report, UserTests
from kata.sandbox import DEFAULT_LIMITS, Limits, allow_starts, fork_server_deaths, stop_all
from kata.usertests import bugs_for_level, grade_user_tests, reference_seconds

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
                f"{done.name!r}: {done.duration_s:.2f} s"
                if done.passed
                else f"{done.name!r}: did not finish either"
            )
            slow[done.id].message += (
                f"\nthe reference finished this check in {done.duration_s:.2f} s on this machine "
                "just now"
                if done.passed
                else "\nthe reference did not finish it either just now"
            )
    return (
        f"{len(slow)} check{'s' * (len(slow) != 1)} ran out of time (not decided: too slow); the "
        f"reference on this machine just now: {'; '.join(took)}"
    )


def test_sources(path: Path | None, names: Sequence[str]) -> dict[str, str]:
    """The source of each test of the file at `path` whose readable name (as the reports give
    it: ``test_a_new_total`` -> ``a new total``, parameters in brackets after) is in `names`."""
    if path is None or not names:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return {}
    wanted = {name.split(" (")[0]: name for name in names}
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            words = node.name.removeprefix("test_").replace("_", " ")
            if words in wanted:
                found[wanted[words]] = ast.get_source_segment(text, node) or ""
    return found


def version_of(kata: Kata) -> str:
    """The runner's version and the first 12 hex digits of the statement's SHA-256."""
    try:
        runner = metadata.version("kata-grader")
    except metadata.PackageNotFoundError:
        runner = "unknown"
    digest = hashlib.sha256(kata.statement.read_bytes()).hexdigest()[:12]
    return f"kata-grader {runner}, statement {digest}"


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


@dataclass
class _SideRuns:
    """What runs beside the hidden checks: ruff, mypy and the learner's tests."""

    lint: Future[quality.Findings] | None
    types: Future[quality.Findings] | None
    tests: Future[UserTests] | None
    tests_path: Path | None

    def collect(self, report: Report, tests_label: str | None, clock: Clock) -> None:
        """Put their results into `report`, timing the waits as phases."""
        start = clock()
        found = [f.result() for f in (self.lint, self.types) if f is not None]
        report.quality = [quality.as_check(f) for f in found]
        report.findings = {f.tool: None if f.error else f.count for f in found}
        if found:
            report.phases["code quality (beyond the checks)"] = clock() - start
        if self.tests is not None:
            phase = clock()
            report.user_tests = self.tests.result()
            report.user_tests.file = tests_label or report.user_tests.file
            report.missed_bugs = missed_bugs(report.kata, report.user_tests.missed, report.level)
            report.set_aside_sources = test_sources(
                self.tests_path, report.user_tests.failing_on_reference
            )
            report.phases["then waiting for your tests' runs"] = clock() - phase


@dataclass(frozen=True)
class _Job:
    """One grade's inputs (see `grade`)."""

    kata: Kata
    solution: Path
    label: str
    seed: int
    profile: str
    level: int | None
    limits: Limits
    check_quality: bool
    strict_quality: bool
    tests: Path | None
    tests_label: str | None
    tests_cache: Path | None
    fresh: bool
    mypy_cache: Path | None = None

    def new_report(self) -> Report:
        shown = Path(self.tests_label) if self.tests_label and self.tests else self.tests
        options = grade_options(
            self.profile,
            self.limits,
            check_quality=self.check_quality,
            strict_quality=self.strict_quality,
            tests=shown,
        )
        return Report(
            version=version_of(self.kata),
            kata=self.kata,
            solution=self.label,
            seed=self.seed,
            profile=self.profile,
            strict_quality=self.strict_quality,
            level=self.level,
            options=options,
        )

    def start_side_runs(self, pool: ThreadPoolExecutor) -> _SideRuns:
        """Start ruff, mypy and the learner's tests in `pool`: they need nothing from the
        hidden checks, so they run alongside."""
        quality_on = self.check_quality
        tests = None
        if self.tests is not None:
            tests = pool.submit(
                grade_user_tests,
                self.kata,
                self.tests,
                solution=self.solution,
                seed=self.seed,
                limits=self.limits,
                level=self.level,
                cache_dir=self.tests_cache,
                fresh=self.fresh,
                origin=Path(self.tests_label) if self.tests_label else None,
            )
        return _SideRuns(
            pool.submit(quality.ruff, self.solution) if quality_on else None,
            pool.submit(quality.mypy, self.solution, cache_dir=self.mypy_cache)
            if quality_on
            else None,
            tests,
            self.tests,
        )

    def run(self, on_check: Callable[[Check], None], clock: Clock) -> Report:
        start, deaths = clock(), fork_server_deaths()
        report = self.new_report()
        allow_starts()
        pool = ThreadPoolExecutor(max_workers=3)
        try:
            side = self.start_side_runs(pool)
            run = run_suite(
                self.kata.hidden_suite,
                self.solution,
                kata=self.kata,
                seed=self.seed,
                profile=self.profile,
                level=self.level,
                limits=self.limits,
                on_check=on_check,
                shards=self.hidden_shards(),
                clock=clock,
            )
            report.phases["hidden checks"] = clock() - start
            side.collect(report, self.tests_label, clock)
            if not run.error:
                self.time_slow_checks(report, run, start + self.limits.run_seconds, clock)
        except BaseException:
            stop_all()  # Ctrl-C: the runs in other threads end now, not when they are done
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        report.checks, report.error = run.checks, run.error
        report.problems, report.notes = run.problems, run.notes
        if fork_server_deaths() > deaths:
            report.notes.append(KILLED_PARENT)
        if not run.error and not run.checks:
            report.error = "the hidden suite ran no checks"
        report.duration_s = clock() - start
        return report

    def hidden_shards(self) -> int:
        """HIDDEN_SHARDS, or 1 beside a run of the learner's tests on the solution that is
        likely the longer part of the grade (it took SHARED_CORE_SECONDS or more on the reference
        last time, or it is the first run of that file): a process of its own keeps it a core."""
        if self.tests is None:
            return HIDDEN_SHARDS
        origin = Path(self.tests_label) if self.tests_label else self.tests
        seconds = reference_seconds(self.kata, origin, self.tests_cache)
        return HIDDEN_SHARDS if seconds is not None and seconds < SHARED_CORE_SECONDS else 1

    def time_slow_checks(
        self, report: Report, run: SuiteRun, deadline: float, clock: Clock
    ) -> None:
        """Run the reference on the checks that ran out of time, within what is left."""
        phase = clock()
        note = time_the_reference(
            self.kata,
            self.solution,
            run.checks,
            seed=self.seed,
            profile=self.profile,
            limits=self.limits,
            seconds=deadline - clock(),
        )
        if note:
            run.notes.append(note)
            report.phases["the reference on the slow checks"] = clock() - phase


HIDDEN_SHARDS = 2
"""Grading processes that share the hidden checks: a grade waits on the slowest, and on a
2-core machine one process leaves a core idle while the learner's tests are quick or reused."""
SHARED_CORE_SECONDS = 1.0
"""A learner's test file that took this long on the reference keeps a core for its run on the
solution: the hidden checks then run in one process."""

KILLED_PARENT = (
    "a test killed the process that started it (os.kill(os.getppid(), ...)): that is the "
    "grader's fork server, not the grader; the runs went on and a new server started the next"
)


def grade(
    kata: Kata,
    solution: Path,
    *,
    label: str | None = None,
    seed: int = 0,
    profile: str = "quick",
    level: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    check_quality: bool = True,
    strict_quality: bool = False,
    tests: Path | None = None,
    tests_label: str | None = None,
    tests_cache: Path | None = None,
    fresh: bool = False,
    mypy_cache: Path | None = None,
    on_check: Callable[[Check], None] = lambda check: None,
    clock: Clock = time.monotonic,
) -> Report:
    """Grade `solution` against the kata's hidden suite (and, given `tests`, grade those tests,
    reusing their planted-bug runs from `tests_cache` unless `fresh`; mypy keeps its cache in
    `mypy_cache`).

    The hidden suite runs in its own processes under `limits`; ruff, mypy and the learner's
    tests run beside it. Raises SolutionError if `solution` is not a readable .py file.
    """
    ensure_python_file(solution)
    job = _Job(
        kata, solution, label or str(solution), seed, profile, level, limits, check_quality,
        strict_quality, tests, tests_label, tests_cache, fresh, mypy_cache,
    )  # fmt: skip
    return job.run(on_check, clock)
