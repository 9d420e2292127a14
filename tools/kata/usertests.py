"""Grading the learner's own tests, the way Examplar grades them with wheats and chaffs.

The test file runs against the reference, against every planted bug (each caught when any test
fails or hangs), and against the learner's solution. A test that fails on the reference asserts
something the statement does not say: it is set aside (reported with its message) and the others
are graded without it, so one wrong test never hides what the rest are worth. A test skipped or
xfailed on the reference decided nothing: it is listed as skipped, left out of the bug runs and
earns no credit. Each run is its own isolated process; bug runs go in parallel and stop at the
first failing test.

The runs on the reference and the bugs do not depend on the learner's solution: with a cache
folder (`bugcache`) a grade whose test file, kata, seed and limits did not change reuses them.
Within a grade, and from the previous grade of the same file, the tests that caught bugs run
first in the bug runs, so a bug that one of them catches costs one test, not the whole file.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kata import scratch
from kata.bugcache import RunCache, digest, runs_key
from kata.catalog import Kata
from kata.errors import KataError
from kata.grading import SuiteRun, run_suite
from kata.model import SlowTest
from kata.planted import Bug, load_bugs
from kata.reach import Prior
from kata.report import UserTests
from kata.sandbox import DEFAULT_LIMITS, Limits, stopping

USER_PROFILE = "quick"
SLOW_TEST_SECONDS = 0.2
"""A test that took at least this long in a bug run is counted among the slow ones."""
SLOWEST_SHOWN = 5
ORDER_STEP_SECONDS = 0.25
"""Tests whose times on the reference differ by less than this keep their file order."""


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


def _complete(run: SuiteRun) -> bool:
    """Whether `run` ran to its own end: no check left unrun for a reason (the run's time limit,
    a process stopped by Ctrl-C) and grading was not being stopped."""
    return not stopping() and not any(c.message.startswith("not run:") for c in run.checks)


def _summary(run: SuiteRun) -> dict[str, Any]:
    """What a run on the reference established, as JSON-ready data."""
    return {
        "error": _problem(run),
        "complete": _complete(run) and not any(c.timed_out for c in run.checks),
        "checks": [
            {
                "id": c.id,
                "name": c.name,
                "passed": c.passed,
                "skipped": c.skipped,
                "message": c.message,
                "timed_out": c.timed_out,
                "property": c.property_based,
                "seconds": c.duration_s,
            }
            for c in run.checks
        ],
    }


def _bug_verdict(run: SuiteRun) -> dict[str, Any]:
    """How a bug run ended: ``how`` ("" not caught, "example", or "property": only a Hypothesis
    test failed, as example-based tests run first), the test that caught it, the seconds of
    each slow test and of all tests, and whether the run is complete enough to keep."""
    ran = [c for c in run.checks if not c.message.startswith("not run") and not c.skipped]
    first = next((c for c in ran if not c.passed), None)
    how = (
        "example"
        if run.error
        else ""
        if first is None
        else ("property" if first.property_based else "example")
    )
    return {
        "how": how,
        "by": first.id if first is not None and not run.error else "",
        "slow": {c.id: c.duration_s for c in ran if c.duration_s >= SLOW_TEST_SECONDS},
        "tests_s": round(sum(c.duration_s for c in ran), 3),
        "complete": _complete(run),
    }


def _slowest(verdicts: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]) -> list[SlowTest]:
    """The tests that took the most time over the bug runs in `verdicts`. O(slow records)."""
    totals: dict[str, list[float]] = {}
    for verdict in verdicts.values():
        for test, seconds in verdict.get("slow", {}).items():
            totals.setdefault(test, []).append(float(seconds))
    ranked = sorted(totals.items(), key=lambda item: -sum(item[1]))[:SLOWEST_SHOWN]
    return [
        SlowTest(names.get(test, test), len(times), sum(times) / len(times), sum(times))
        for test, times in ranked
    ]


class _Order:
    """The order of the tests in each bug run (a run stops at its first failing test, so this
    decides what a caught bug costs, never whether it is caught): first the test that caught
    this bug in the previous grade of the file, then the others by `Prior` (those likely to
    catch it first), quick ones before slow ones among equals (by their time on the reference,
    in steps of ORDER_STEP_SECONDS), file order last. Example-based tests always run before
    property-based ones (the test that caught the bug before runs first only if it is
    example-based), so "caught only by a property-based test" keeps its meaning."""

    def __init__(self, previous: Mapping[str, str], reference: list[dict[str, Any]], prior: Prior):
        self.previous = dict(previous)
        self.decided = [c for c in reference if c["passed"]]
        self.movable = {c["id"] for c in self.decided if not c["property"]}
        self.prior = prior

    def first(self, bug: Bug, planted: str) -> list[str]:
        """The test ids of `bug`'s run (`planted`: the reference with its edits), in order."""
        likely = self.prior.rank(planted, bug.clause)
        ranked = sorted(
            self.decided,
            key=lambda c: (c["property"], likely(c["id"]), c["seconds"] // ORDER_STEP_SECONDS),
        )
        own = self.previous.get(bug.id, "")
        ahead = [own] if own in self.movable else []
        return list(dict.fromkeys([*ahead, *(c["id"] for c in ranked)]))


def grade_user_tests(
    kata: Kata,
    tests: Path,
    *,
    solution: Path | None = None,
    seed: int = 0,
    limits: Limits = DEFAULT_LIMITS,
    level: int | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    fresh: bool = False,
    origin: Path | None = None,
) -> UserTests:
    """Run the learner's `tests` against the reference, each planted bug of levels 1..`level`
    (every bug for None) and `solution`; tests that fail on the reference are set aside for the
    bug runs and earn no credit. With `cache_dir`, the runs on the reference and the bugs are
    reused from an earlier grade with the same inputs (not with `fresh`) and kept for the next;
    which test caught each bug is kept by kata and `origin` (the learner's own path of the file,
    when `tests` is a copy of it), for the order of the next grade's bug runs.
    Cost: up to 2 + (number of bugs) runs of the file, `workers` at once; 1 run when reused."""
    result = UserTests(file=str(tests))
    run_tests = functools.partial(
        run_suite, tests, seed=seed, profile=USER_PROFILE, limits=limits, examples_first=True
    )
    cache = RunCache(cache_dir, fresh=fresh)
    bugs = bugs_for_level(kata, level)
    result.bugs_total = len(bugs)
    try:
        source = tests.read_text(encoding="utf-8", errors="replace")
        key = runs_key(
            tests, kata.reference, kata.planted_bugs, seed=seed, options=_options(limits)
        )
    except OSError as error:
        result.error = f"your test file could not be read: {error.strerror}"
        return result
    stored = cache.load(key) or {}
    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        mine = pool.submit(lambda: run_tests(solution) if solution is not None else None)
        phase = time.monotonic()
        reference = _on_reference(kata, stored, run_tests, result)
        result.phases["your tests on the reference"] = time.monotonic() - phase
        if reference is None or not _take_reference(result, reference):
            mine.cancel()
            return result
        phase = time.monotonic()
        job = _Job(kata, origin or tests, source, bugs, run_tests, cache, key)
        verdicts, ran = _bug_runs(job, reference, stored.get("bugs", {}), pool)
        solution_run = mine.result()
    result.phases["your tests on the planted bugs and your solution"] = time.monotonic() - phase
    _take_bugs(result, bugs, verdicts, reference)
    result.reused = not ran and "reference" in stored
    result.results_made_at = stored.get("made_at") if result.reused else None
    _keep(job, reference, verdicts, ran)
    if solution_run is not None:
        _take_solution(result, solution_run)
    return result


def _on_reference(
    kata: Kata,
    stored: Mapping[str, Any],
    run_tests: Callable[..., SuiteRun],
    result: UserTests,
) -> dict[str, Any] | None:
    """The run of the tests on the reference (`_summary`): kept in `stored`, else run now;
    None, with `result.error` set, when the file could not be run."""
    if "reference" in stored:
        return dict(stored["reference"])
    try:
        return _summary(run_tests(kata.reference))
    except KataError as error:
        result.error = str(error)
        return None


def _options(limits: Limits) -> dict[str, Any]:
    return {
        "profile": USER_PROFILE,
        "check_seconds": limits.check_seconds,
        "run_seconds": limits.run_seconds,
        "memory_mb": limits.memory_mb,
    }


def _take_reference(result: UserTests, reference: Mapping[str, Any]) -> bool:
    """Fill in what the run on the reference says; False when the file gave no verdicts."""
    result.error = str(reference.get("error", ""))
    if result.error:
        return False
    checks = reference["checks"]
    failing = [c for c in checks if not c["passed"] and not c["skipped"]]
    result.failing_on_reference = [c["name"] for c in failing]
    result.reference_messages = [c["message"] for c in failing]
    result.too_slow_on_reference = [c["name"] for c in failing if c["timed_out"]]
    result.skipped_on_reference = [c["name"] for c in checks if c["skipped"]]
    result.passed_on_reference = not failing
    result.tests_total = len(checks)
    return True


@dataclass(frozen=True)
class _Job:
    """What every part of one grade of the learner's tests shares."""

    kata: Kata
    origin: Path
    """The learner's test file where they keep it (not the grade's copy of it)."""
    source: str
    """The text of the test file graded."""
    bugs: list[Bug]
    run_tests: Callable[..., SuiteRun]
    cache: RunCache
    key: str

    @property
    def hints_name(self) -> str:
        """Where the hints of this test file are kept (by kata and path, not by content)."""
        return hints_name(self.kata, self.origin)


def hints_name(kata: Kata, tests: Path) -> str:
    """The name the hints of the learner's test file `tests` are kept under (see `RunCache`)."""
    return f"{kata.id}\0{tests.resolve()}"


def reference_seconds(kata: Kata, tests: Path, cache_dir: Path | None) -> float | None:
    """How long the learner's tests at `tests` (their own path) took on the reference in the
    last grade of that file that ran them (the sum of their times); None if none is kept."""
    seconds = RunCache(cache_dir).hints(hints_name(kata, tests)).get("reference_s")
    return float(seconds) if isinstance(seconds, int | float) else None


def _bug_runs(
    job: _Job,
    reference: Mapping[str, Any],
    stored: Mapping[str, dict[str, Any]],
    pool: ThreadPoolExecutor,
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Each bug's verdict (`_bug_verdict`), reused from `stored` where the same tests ran
    against it, else run in `pool`; and whether any bug was run. Bugs are keyed by id and the
    tests left out of their runs."""
    kata, bugs, run_tests = job.kata, job.bugs, job.run_tests
    hints = job.cache.hints(job.hints_name)
    checks = reference["checks"]
    left_out = sorted(c["id"] for c in checks if c["skipped"] or not c["passed"])
    if len(left_out) == len(checks):
        return {}, False  # no test is left to earn credit
    source = kata.reference.read_text(encoding="utf-8")
    prior = Prior(source, job.source, [c["id"] for c in checks], kata.clauses, kata.cost_clauses)
    order = _Order(hints.get("catchers", {}), checks, prior)

    def bug_key(bug: Bug) -> str:
        return digest(bug.id, *left_out)

    def verdict(bug: Bug) -> dict[str, Any]:
        text = bug.apply(source)
        with scratch.folder("bug") as tmp:
            planted = Path(tmp) / "solution.py"
            planted.write_text(text, encoding="utf-8")
            run = run_tests(
                planted,
                deselect=left_out,
                stop_at_first_failure=True,
                shrink=False,
                first=order.first(bug, text),
                plain_asserts=True,
            )
        return _bug_verdict(run)

    todo = _longest_first(
        [bug for bug in bugs if bug_key(bug) not in stored], hints.get("seconds", {}), kata
    )
    fresh = dict(zip((bug_key(b) for b in todo), pool.map(verdict, todo), strict=True))
    verdicts = {bug.id: fresh.get(bug_key(bug)) or dict(stored[bug_key(bug)]) for bug in bugs}
    for bug in bugs:
        verdicts[bug.id]["key"] = bug_key(bug)
    return verdicts, bool(todo)


def _longest_first(bugs: list[Bug], seconds: Mapping[str, float], kata: Kata) -> list[Bug]:
    """`bugs` in the order their runs start: the longest first, so that none starts last and
    keeps the grade waiting. A run's length is its tests' time in the previous grade of the
    file; a bug without one is guessed longer if it breaks a cost clause (timing tests catch
    those, and a slow solution makes them slow)."""
    return sorted(
        bugs,
        key=lambda bug: (-float(seconds.get(bug.id, 0.0)), bug.clause not in kata.cost_clauses),
    )


def _take_bugs(
    result: UserTests,
    bugs: list[Bug],
    verdicts: Mapping[str, Mapping[str, Any]],
    reference: Mapping[str, Any],
) -> None:
    result.bugs_run = len(verdicts)
    if not verdicts:
        return
    hows = [verdicts[bug.id]["how"] for bug in bugs]
    result.bugs_caught = sum(bool(how) for how in hows)
    result.missed = [bug.description for bug, how in zip(bugs, hows, strict=True) if not how]
    result.caught_by_property_only = [
        bug.description for bug, how in zip(bugs, hows, strict=True) if how == "property"
    ]
    result.bug_tests_s = sum(float(v.get("tests_s", 0.0)) for v in verdicts.values())
    names = {c["id"]: c["name"] for c in reference["checks"]}
    result.slowest = _slowest(verdicts, names)


def _keep(
    job: _Job,
    reference: Mapping[str, Any],
    verdicts: Mapping[str, Mapping[str, Any]],
    ran: bool,
) -> None:
    """Store the complete runs of this grade for the next one, and which test caught each bug
    (the order of the next grade's bug runs). A stopped or incomplete run is never kept."""
    cache = job.cache
    catchers = {bug: str(v["by"]) for bug, v in verdicts.items() if v.get("by")}
    seconds = {bug: float(v.get("tests_s", 0.0)) for bug, v in verdicts.items()}
    if verdicts:
        previous = cache.hints(job.hints_name)
        cache.note(
            job.hints_name,
            {
                "catchers": {**previous.get("catchers", {}), **catchers},
                "seconds": {**previous.get("seconds", {}), **seconds},
                "reference_s": sum(float(c["seconds"]) for c in reference["checks"]),
            },
        )
    if stopping() or not reference.get("complete") or reference.get("error"):
        return
    complete = {v["key"]: dict(v) for v in verdicts.values() if v.get("complete")}
    if ran or cache.fresh or not cache.load(job.key):
        cache.merge(job.key, {"reference": reference, "bugs": complete, "made_at": time.time()})


def _take_solution(result: UserTests, run: SuiteRun) -> None:
    decided = [c for c in run.checks if not c.skipped]
    result.passed_on_solution = not _problem(run) and all(c.passed for c in decided)
    result.failing_on_solution = [c.name for c in decided if not c.passed]
    result.too_slow_on_solution = [c.name for c in decided if c.timed_out]
