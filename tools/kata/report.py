"""Grade reports: the verdict of one `kata grade`, as terminal lines and as results.json (v3)."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from kata.catalog import Kata
from kata.grading import Check
from kata.model import MissedBug, SlowTest
from kata.render import missed_summary


@dataclass
class UserTests:
    """How the learner's own tests fared: on the reference, on each planted bug, on their code."""

    file: str
    passed_on_reference: bool = False
    failing_on_reference: list[str] = field(default_factory=list)
    """Tests that fail on the reference: set aside, they earn no credit for catching bugs."""
    reference_messages: list[str] = field(default_factory=list)
    too_slow_on_reference: list[str] = field(default_factory=list)
    """Of the tests set aside, those that ran out of time on the reference (too slow, not wrong)."""
    tests_total: int = 0
    bugs_caught: int = 0
    bugs_total: int = 0
    bugs_run: int = 0
    """Planted bugs the remaining tests were run against (0 when no test was left)."""
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each phase (on the reference, on the planted bugs, on the solution)."""
    missed: list[str] = field(default_factory=list)
    caught_by_property_only: list[str] = field(default_factory=list)
    """Bugs only a property-based test caught: another seed may miss them."""
    passed_on_solution: bool | None = None
    failing_on_solution: list[str] = field(default_factory=list)
    too_slow_on_solution: list[str] = field(default_factory=list)
    error: str = ""
    skipped_on_reference: list[str] = field(default_factory=list)
    """Tests skipped or xfailed on the reference: not set aside, not failing, no bug credit."""
    reused: bool = False
    """The runs on the reference and the planted bugs were not run again: their results were
    kept from an earlier grade of the same test file, kata and seed."""
    results_made_at: float | None = None
    """When the reused results were made (seconds since the epoch); None when not reused."""
    bug_tests_s: float = 0.0
    """Seconds the learner's tests took in all the planted-bug runs together."""
    slowest: list[SlowTest] = field(default_factory=list)
    """The tests that took the most time in the planted-bug runs, slowest first."""

    @property
    def trustworthy(self) -> bool:
        return not self.error and self.passed_on_reference

    @property
    def graded_against_bugs(self) -> bool:
        """Whether any test was left to run against the planted bugs."""
        return not self.error and self.bugs_run > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "passed_on_reference": self.passed_on_reference,
            "failing_on_reference": self.failing_on_reference,
            "failing_on_reference_messages": self.reference_messages,
            "set_aside": len(self.failing_on_reference),
            "too_slow_on_reference": self.too_slow_on_reference,
            "tests_total": self.tests_total,
            "bugs_caught": self.bugs_caught,
            "bugs_total": self.bugs_total,
            "bugs_run": self.bugs_run,
            "missed": self.missed,
            "caught_by_property_only": self.caught_by_property_only,
            "passed_on_solution": self.passed_on_solution,
            "failing_on_solution": self.failing_on_solution,
            "too_slow_on_solution": self.too_slow_on_solution,
            "error": self.error,
            "skipped_on_reference": self.skipped_on_reference,
            "reused": self.reused,
            "results_made_at": self.results_made_at,
            "bug_tests_s": round(self.bug_tests_s, 3),
            "slowest": [s.as_json() for s in self.slowest],
        }


@dataclass
class Report:
    """Everything one `kata grade` found out."""

    kata: Kata
    solution: str
    seed: int
    profile: str
    checks: list[Check] = field(default_factory=list)
    quality: list[Check] = field(default_factory=list)
    error: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each phase of the grade, in order."""
    strict_quality: bool = False
    elapsed_minutes: float | None = None
    level: int | None = None
    user_tests: UserTests | None = None
    target: str = ""
    """The command-line words that name the graded file (``--reference``, ``--solution F``)."""
    options: list[str] = field(default_factory=list)
    """The other command-line words that change a grade (limits, tests, quality), for
    `reproduce`."""
    findings: dict[str, int | None] = field(default_factory=dict)
    """ruff's and mypy's finding counts (None: the tool could not check the file)."""
    missed_bugs: list[MissedBug] = field(default_factory=list)
    """The planted bugs the learner's tests missed: a hint each (shown with `show_hints`)."""
    show_hints: bool = False
    attempt_ended: float | None = None
    """The minute the workspace's interview ended at, when it had ended before this grade."""
    interview: dict[str, Any] | None = None
    """What the grade did to the interview (`kata.interview.Outcome`'s fields), for `--json`."""
    set_aside_sources: dict[str, str] = field(default_factory=dict)
    """The source of each learner test set aside as failing on the reference, by its name."""
    version: str = ""
    """The runner's version and the statement's digest, for a report of a kata's fault."""

    @property
    def status(self) -> str:
        """``error`` if nothing could be graded, ``pass`` if every counted check passed, else
        ``fail``."""
        if self.error:
            return "error"
        counted = self.checks + (self.quality if self.strict_quality else [])
        ok = counted and all(c.passed for c in counted) and not self.problems
        return "pass" if ok else "fail"

    @property
    def exit_code(self) -> int:
        return {"pass": 0, "fail": 1}.get(self.status, 2)

    def all_phases(self) -> dict[str, float]:
        """Seconds per phase, the learner's tests' phases included."""
        extra = self.user_tests.phases if self.user_tests is not None else {}
        return {**self.phases, **extra}

    def message(self) -> str:
        if self.error:
            return self.error
        failed = [c for c in self.checks if not c.passed]
        parts = []
        if failed:
            first = failed[0].message.splitlines()[0] if failed[0].message else failed[0].status
            parts.append(
                f"{len(failed)} of {len(self.checks)} checks did not pass; "
                f"the first, {failed[0].name!r}: {first}"
            )
        return "; ".join(parts + self.problems)

    def reproduce(self) -> str:
        """The command that grades the same file the same way again."""
        words = [f"kata grade {self.kata.id}{self.target} --seed {self.seed}"]
        if self.profile != "quick":
            words.append(f"--profile {self.profile}")
        if self.level:
            words.append(f"--level {self.level}")
        words += self.options
        return " ".join(words)

    def summary(self) -> str:
        """``Level 1 4/4 · Level 2 3/5 · 72%``: passed/total per level and overall."""
        levels = sorted({c.level for c in self.checks})
        parts = []
        for level in levels:
            mine = [c for c in self.checks if c.level == level]
            parts.append(f"Level {level} {sum(c.passed for c in mine)}/{len(mine)}")
        total = len(self.checks)
        percent = round(100 * sum(c.passed for c in self.checks) / total) if total else 0
        return " · ".join([*parts, f"{percent}%"])

    def as_json(self) -> dict[str, Any]:
        """Exercism's test-runner results.json, version 3, plus this project's fields."""
        data: dict[str, Any] = {
            "version": 3,
            "status": self.status,
            "kata": self.kata.id,
            "seed": self.seed,
            "profile": self.profile,
            "duration_s": round(self.duration_s, 3),
            "phases_s": {name: round(seconds, 3) for name, seconds in self.all_phases().items()},
            "score": {"passed": sum(c.passed for c in self.checks), "total": len(self.checks)},
            "tests": [
                {
                    "name": c.name,
                    "status": c.status,
                    "message": self._check_message(c) or None,
                    "output": c.output[:500] or None,
                    "test_code": c.example,
                    "task_id": c.level or None,
                    "level": c.level or None,
                    "kind": c.kind,
                    "clauses": c.clauses,
                    **({"tested": c.tested} if c.tested else {}),
                    **({"cause": c.cause} if c.cause else {}),
                }
                for c in self.checks + self.quality
            ],
        }
        if self.status != "pass":
            data["message"] = self.message()
        if self.notes:
            data["notes"] = self.notes
        if self.user_tests is not None:
            data["user_tests"] = self.user_tests.as_json()
            data["user_tests"]["missed_bugs"] = [bug.__dict__ for bug in self.missed_bugs]
        if self.interview is not None:
            data["interview"] = self.interview
        return data

    def _check_message(self, check: Check) -> str:
        if check.passed:
            return ""
        where = f"\n(at {check.where})" if check.where else ""
        return check.message + where

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal, never under NO_COLOR or when piped."""
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


class Printer:
    """Writes a report to a terminal as checks finish: a failing check in full, passing checks
    as one count per level (kept up to date on a terminal), so a report stays short."""

    def __init__(
        self, kata: Kata, stream: TextIO | None = None, colour: bool | None = None
    ) -> None:
        self.kata = kata
        self.stream = stream = stream or sys.stdout
        self.colour = use_colour(stream) if colour is None else colour
        encoding = (getattr(stream, "encoding", None) or "").lower()
        self.marks = ("✓", "✗") if encoding.startswith("utf") else ("+", "x")
        self._level: int | None = None
        self._passed = 0
        """Checks passed in the current level and not yet told."""
        self.live = hasattr(stream, "isatty") and stream.isatty()
        """On a terminal the count of passed checks is redrawn in place as it grows."""
        self.folded: dict[str, list[str]] = {}
        """A reason shared by many checks (a method hung, the run's limit) -> those checks."""

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        self._tell_passed()
        print(text, file=self.stream, flush=True)

    def _passed_text(self) -> str:
        ok = self._paint(self.marks[0], "32")
        return f"  {ok} {self._passed} check{'s' * (self._passed != 1)} passed"

    def _tell_passed(self) -> None:
        """End the count of passed checks with a line of its own, before any other line."""
        if not self._passed:
            return
        text, self._passed = self._passed_text(), 0
        print(("\r" if self.live else "") + text, file=self.stream, flush=True)

    def header(self, report: Report) -> None:
        self.line(self._paint(f"{self.kata.title} ({self.kata.id})", "1"))
        self.line(f"solution: {report.solution} · seed {report.seed} · profile {report.profile}")

    def _fold_reason(self, check: Check) -> str:
        """Why `check` is told in one line with others at the end ("" if it is not)."""
        if check.hung and check.message.startswith("not decided: `"):
            return (
                f"not decided: `{check.hung}` hung in an earlier check (shown above with its "
                "stack), so these were not waited for"
            )
        if check.message.startswith("not run"):
            return check.message.splitlines()[0]
        if check.cause:
            return f"not decided: {', '.join(check.cause)} fails first (see its check)"
        return ""

    def check(self, check: Check) -> None:
        """One line for a finished check; for a failure, what it tests and how to see it fail.
        Checks not decided because of another (a method that hung, a clause that fails first)
        are told together at the end (`folded`)."""
        reason = self._fold_reason(check)
        if reason:
            self.folded.setdefault(reason, []).append(check.name)
            return
        if check.level != self._level and check.kind != "quality":
            self._level = check.level
            name = self.kata.level_name(check.level)
            self.line(self._paint(f"Level {check.level}" + (f" — {name}" if name else ""), "1"))
        if check.passed and check.kind == "quality":
            self.line(f"  {self._paint(self.marks[0], '32')} {check.name}")
        elif check.passed:
            self._passed += 1
            if self.live:
                print("\r" + self._passed_text(), end="", file=self.stream, flush=True)
        else:
            self._failure(check)

    def _failure(self, check: Check) -> None:
        kind = f" [{check.kind}]" if check.kind == "performance" else ""
        self.line(f"  {self._paint(self.marks[1], '31')} {check.name}{kind}")
        for clause in check.clauses:
            text = f"{clause}: {self.kata.clauses.get(clause, '')}"
            self.line(textwrap.fill(text, 96, initial_indent=" " * 6, subsequent_indent=" " * 6))
        self.block(check.message, "")
        if check.where and "where the code was" not in check.message:
            self.line(f"      at {check.where}")
        if check.example:
            self.block(check.example, "minimal failing example:")
        if check.output.strip():
            self.block(check.output, "your code printed:")

    def block(self, text: str, title: str) -> None:
        lines = text.strip().splitlines()
        if not lines:
            return
        if title:
            self.line(f"      {title}")
        shown = lines[:40]
        for line in shown:
            self.line(("        " if title else "      ") + line)
        if len(lines) > len(shown):
            self.line(f"        [... {len(lines) - len(shown)} more lines]")

    def footer(self, report: Report) -> None:
        """Everything after the checks: quality, folded checks, notes, the learner's tests, the
        summary, the clock and how to reproduce the grade."""
        self._tell_passed()
        if report.quality:
            counted = "" if report.strict_quality else " (reported, not counted)"
            self.line(self._paint("Code quality" + counted, "1"))
            for check in report.quality:
                self.check(check)
        for reason, names in self.folded.items():
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            count = f"{len(names)} check{'s' * (len(names) != 1)}"
            self.line(self._paint(count, "31") + f" {reason}: {shown}")
        for note in report.notes:
            self.line(f"note: {note}")
        if report.user_tests is not None:
            self.user_tests(report.user_tests, report)
        if report.error:
            self.line(self._paint("error: ", "31") + report.error)
        for problem in report.problems:
            self.line(self._paint("problem: ", "31") + problem)
        if report.checks:
            colour = "32" if report.status == "pass" else "31"
            self.line(self._paint(report.summary(), "1;" + colour))
        self._times(report)

    def _times(self, report: Report) -> None:
        if report.attempt_ended is not None:
            self.line(f"time: this interview ended at minute {report.attempt_ended:.1f}")
        elif report.elapsed_minutes is not None:
            self.line(
                f"time: {report.elapsed_minutes:.0f} min of your {self.kata.minutes} min budget"
            )
        # The grade's own phases follow one another; the learner's tests' runs overlap them.
        alongside = report.user_tests.phases if report.user_tests is not None else {}
        if len(report.phases) + len(alongside) > 1:
            spent = " · ".join(f"{name} {s:.1f} s" for name, s in report.phases.items())
            self.line(f"time: {spent}")
        if alongside:
            spent = " · ".join(f"{name} {s:.1f} s" for name, s in alongside.items())
            self.line(f"  meanwhile, in processes of their own: {spent}")
        self.line(f"{report.status} in {report.duration_s:.1f} s · reproduce: {report.reproduce()}")

    def user_tests(self, tests: UserTests, report: Report) -> None:
        """The learner's tests: on the reference, on the planted bugs, what they cost, and on
        the learner's solution."""
        self.line(self._paint(f"Your tests ({tests.file})", "1"))
        if tests.error:
            self.line(f"  {tests.error}")
            return
        self._on_reference(tests, report)
        self._on_bugs(tests, report)
        self._cost(tests, report)
        self._on_solution(tests)

    def _on_reference(self, tests: UserTests, report: Report) -> None:
        slow = set(tests.too_slow_on_reference)
        wrong = [
            (name, message)
            for name, message in zip(
                tests.failing_on_reference, tests.reference_messages, strict=False
            )
            if name not in slow
        ]
        if tests.passed_on_reference:
            self.line(f"  all {tests.tests_total} pass on the reference solution")
        if tests.skipped_on_reference:
            names = ", ".join(tests.skipped_on_reference[:5])
            self.line(
                f"  skipped or xfailed: {len(tests.skipped_on_reference)} (not graded, no "
                f"credit): {names}"
            )
        if wrong:
            self.line(
                f"  set aside: {len(wrong)} of {tests.tests_total} fail on the reference solution "
                "and earn no credit. Each asserts something the statement does not promise, unless "
                "it follows a clause word for word: then the kata is at fault, and the block below "
                "is a report to paste into an issue:"
            )
            for name, message in wrong:
                self.line(f"    {name}: {message.splitlines()[0] if message else ''}")
            self._report_block(wrong, report)
        if slow:
            self.line(
                f"  set aside: {len(slow)} of {tests.tests_total} did not finish within the time "
                "limit per test on the reference solution: too slow, not wrong, but a test that "
                "cannot finish cannot earn credit (make it faster, or raise --check-timeout):"
            )
            for name in tests.too_slow_on_reference:
                self.line(f"    {name}")

    def _report_block(self, wrong: list[tuple[str, str]], report: Report) -> None:
        self.line(f"    --- kata report: {report.kata.id}, {report.version} ---")
        for name, message in wrong:
            self.line(f"    test: {name}")
            self.line(f"    message: {message.splitlines()[0] if message else ''}")
            for line in report.set_aside_sources.get(name, "(source not found)").splitlines():
                self.line(f"      {line}")
        self.line("    --- end ---")

    def _on_bugs(self, tests: UserTests, report: Report) -> None:
        aside = len(tests.failing_on_reference)
        if tests.reused and tests.results_made_at is not None:
            when = datetime.fromtimestamp(tests.results_made_at).strftime("%H:%M")
            self.line(
                f"  your tests: unchanged since {when}, {tests.bugs_caught} of {tests.bugs_total} "
                "planted bugs caught then (not run again; --fresh runs them again)"
            )
        elif tests.graded_against_bugs:
            excluded = f" with {aside} of your tests set aside" if aside else ""
            self.line(f"  planted bugs caught: {tests.bugs_caught} of {tests.bugs_total}{excluded}")
        elif tests.bugs_total:
            self.line(
                f"  planted bugs: none of your tests passes on the reference, so none can earn "
                f"credit for the {tests.bugs_total} planted bugs; fix them and grade again"
            )
        if report.show_hints:
            for bug in report.missed_bugs:
                self.line(f"    missed ({bug.clause}): {bug.description}")
        elif report.missed_bugs:
            self.line(
                f"  your tests {missed_summary(report.missed_bugs)} · `kata hint "
                f"{self.kata.id}` tells one at a time (counted), `--hints` all"
            )
        if tests.caught_by_property_only:
            n = len(tests.caught_by_property_only)
            what = "1 bug was" if n == 1 else f"{n} bugs were"
            them = "it" if n == 1 else "them"
            self.line(
                f"  {what} caught only by a property-based test, so the catch depends on the "
                f"seed (another seed may miss {them}; an example-based test pins {them} down):"
            )
            for hint in tests.caught_by_property_only:
                self.line(f"    {hint}")

    def _cost(self, tests: UserTests, report: Report) -> None:
        """The slowest tests of the bug runs, when they made the runs slow."""
        if not tests.slowest or tests.reused:
            return
        share = f", in a grade of {report.duration_s:.0f} s" if report.duration_s else ""
        self.line(
            f"  your tests ran {tests.bug_tests_s:.1f} s in all in the {tests.bugs_run} "
            f"planted-bug runs (several run at once){share}; the slowest:"
        )
        for slow in tests.slowest:
            runs = f"{slow.runs} run{'s' * (slow.runs != 1)}"
            self.line(
                f"    {slow.name}: {slow.seconds_per_run:.2f} s per run, {runs}, "
                f"{slow.total_s:.1f} s in all"
            )

    def _on_solution(self, tests: UserTests) -> None:
        if tests.passed_on_solution is None:
            return
        slow_here = set(tests.too_slow_on_solution)
        failing = [name for name in tests.failing_on_solution if name not in slow_here]
        parts = []
        if failing:
            more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
            parts.append(f"{len(failing)} fail: " + ", ".join(failing[:5]) + more)
        if slow_here:
            parts.append(f"{len(slow_here)} too slow: " + ", ".join(sorted(slow_here)[:5]))
        verdict = "pass" if tests.passed_on_solution else "; ".join(parts)
        self.line(f"  on your solution: {verdict}")
