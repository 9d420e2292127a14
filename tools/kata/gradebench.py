"""`python -m kata.gradebench [ID ...]`: how long the learner waits for the grader, per scenario.

For each kata (default: every kata) it times, one after the other, the waits a learner meets:

- ``reference``: a quick grade of the reference, code quality included (``kata grade ID
  --reference``);
- ``planted-bugs``: a quick grade of each planted bug written out as a learner's solution, quality
  included (one sample per bug);
- ``full-with-tests``: a full grade of the reference with the learner test file
  ``tests/fixtures/learner/<id>/thorough_test.py`` (its run on the reference, every planted bug and
  the solution);
- ``level-1-with-tests``: the same with ``--level 1``;
- ``hang``: a quick grade of the reference with ``while True: pass`` inserted as the first statement
  of one public method (see `hang_target`), also counting the lines of the terminal report and
  whether it names the file and line where the code hung;
- ``compare``: ``kata compare`` of the reference with itself;
- ``learner-full``, ``learner-level-2``, ``learner-thorough``: a grade of the reference with the
  learner-sized test file ``tests/fixtures/learner/<id>/learner_test.py`` (full, ``--level 2``,
  ``--profile thorough``), each with an empty cache folder: nothing is reused;
- ``learner-solution-changed``: that full grade again after only ``solution.py`` changed (a
  comment added), with the cache folder of a first grade (not timed): the planted-bug runs are
  reused;
- ``hang-assigned``: a quick grade of the reference whose hanging method is a module function
  assigned to the class (``Cls.method = _loop``);
- ``stray-child``: a full grade with ``thorough_test.py`` plus a test that starts a child with
  ``start_new_session=True``; the sample is the time beyond the same grade without that test,
  and the children left running are counted (and then killed).

Every grade keeps mypy's cache in one folder of the benchmark run, filled (untimed) by checking
each kata's reference first: what a learner's cache holds after their first grade.

It prints median, p95 and max seconds per scenario beside the scenario's goal (`GOALS`), and the
load average at start and end with the cpu count, without which the figures mean nothing. With
``--hogs H``, H busy-looping processes run beside the grades (the goals assume 2 on 2 cores). A goal
stated as one figure (``<= 4 s``) holds for every sample, that is for the max. Exit code: 0 every
goal met, 1 some goal missed, 2 error (unknown kata, bad usage).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import math
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from kata import catalog, quality
from kata.catalog import ROOT, Kata
from kata.compare import Comparison, compare
from kata.errors import KataError
from kata.grade import PROFILE_LIMITS, grade
from kata.grading import Check, public_api
from kata.planted import load_bugs
from kata.report import Printer, Report
from kata.sandbox import Limits
from kata.soak import busy

Clock = Callable[[], float]
GradeFn = Callable[..., Report]
"""Called like `kata.grade.grade`."""
CompareFn = Callable[..., Comparison]
"""Called like `kata.compare.compare`."""

QUICK = PROFILE_LIMITS["quick"]
"""The limits of ``kata grade`` (profile quick)."""
HANG = "while True: pass"
LEARNER_TESTS = Path("tests") / "fixtures" / "learner"
"""Under the repository root: ``<id>/thorough_test.py`` is a learner's test file for kata <id>."""


LEARNER_SIZED = "learner_test.py"
"""The learner-sized test file of a kata (at least 100 test functions, 200 collected tests)."""
STRAY_TEST = """


def test_a_server_started_in_a_session_of_its_own() -> None:
    import subprocess
    import sys

    subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)  # MARK"], start_new_session=True
    )
"""
"""Appended to a learner test file by the ``stray-child`` scenario (`MARK` names the child)."""


def _kill_marked(mark: str) -> list[int]:
    """Kill every process whose command line holds `mark`; returns their pids (Linux /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError):
            if int(entry.name) != os.getpid() and mark.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    for pid in found:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return found


@dataclass(frozen=True)
class Goal:
    """What one scenario should achieve; `None` bounds are not part of the goal."""

    text: str
    p95_s: float | None = None
    max_s: float | None = None
    max_lines: int | None = None
    names_line: bool = False
    nothing_left: bool = False
    """No process a learner's test started may be left running."""

    def misses(self, result: Result) -> list[str]:
        """The parts of the goal `result` does not meet, in words (empty: met)."""
        missed = []
        if self.p95_s is not None and result.p95 > self.p95_s:
            missed.append(f"p95 {result.p95:.1f} s > {self.p95_s:g} s")
        if self.max_s is not None and result.max > self.max_s:
            missed.append(f"max {result.max:.1f} s > {self.max_s:g} s")
        lines = [s.report_lines for s in result.samples]
        if self.max_lines is not None and max(lines) > self.max_lines:
            missed.append(f"report {max(lines)} lines > {self.max_lines}")
        if self.names_line and not all(s.names_line for s in result.samples):
            missed.append("the report does not name the file and line")
        if self.nothing_left and any(s.left for s in result.samples):
            missed.append(f"{max(s.left for s in result.samples)} processes left running")
        return missed


SCENARIOS: dict[str, str] = {
    "reference": "reference",
    "planted-bugs": "planted bugs",
    "full-with-tests": "full with tests",
    "level-1-with-tests": "level 1 with tests",
    "hang": "hang",
    "compare": "compare",
    "learner-full": "full with learner-sized tests",
    "learner-solution-changed": "again, only solution.py changed",
    "learner-level-2": "level 2 with learner-sized tests",
    "learner-thorough": "thorough with learner-sized tests",
    "hang-assigned": "hang in a function assigned to the class",
    "stray-child": "a test starts a child in its own session",
}
"""Scenario key (for ``--scenarios``) -> the name printed in the table, in the order they run."""

GOALS: dict[str, Goal] = {
    "reference": Goal("<= 3 s", max_s=3),
    "planted-bugs": Goal("p95 <= 8 s, max <= 12 s", p95_s=8, max_s=12),
    "full-with-tests": Goal("<= 30 s", max_s=30),
    "level-1-with-tests": Goal("<= 10 s", max_s=10),
    "hang": Goal(
        "<= 25 s, report <= 40 lines, names file and line", max_s=25, max_lines=40, names_line=True
    ),
    "compare": Goal("<= 20 s", max_s=20),
    "learner-full": Goal("<= 15 s", max_s=15),
    "learner-solution-changed": Goal("<= 5 s", max_s=5),
    "learner-level-2": Goal("<= 8 s", max_s=8),
    "learner-thorough": Goal("<= 60 s", max_s=60),
    "hang-assigned": Goal("<= 25 s", max_s=25),
    "stray-child": Goal("<= 5 s more, no child left", max_s=5, nothing_left=True),
}


@dataclass
class Sample:
    """One timed wait: `label` names what was graded (a bug id, ``run 1``)."""

    label: str
    seconds: float
    status: str = ""
    """The grade's status (``pass``, ``fail``, ``error``), or ``ok``/``error`` for a comparison."""
    report_lines: int = 0
    """Lines of the terminal report (0 for a comparison)."""
    names_line: bool | None = None
    """For a hang: whether the report names ``solution.py:LINE in METHOD`` where it hung."""
    detail: str = ""
    left: int = 0
    """For ``stray-child``: processes a learner's test started that were still running."""


@dataclass
class Result:
    """Every sample of one scenario on one kata, and why it has none if it was skipped."""

    kata: str
    scenario: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""

    @property
    def seconds(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 95)

    @property
    def max(self) -> float:
        return max(self.seconds)

    @property
    def slowest(self) -> Sample:
        return max(self.samples, key=lambda s: s.seconds)

    def verdict(self) -> str:
        """``pass``, ``FAIL (what was missed)``, or ``skipped`` when there is no sample."""
        if not self.samples:
            return "skipped"
        missed = GOALS[self.scenario].misses(self)
        return "FAIL (" + "; ".join(missed) + ")" if missed else "pass"

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kata": self.kata,
            "scenario": SCENARIOS[self.scenario],
            "goal": GOALS[self.scenario].text,
            "verdict": self.verdict(),
            "note": self.note,
            "samples": [vars(s) for s in self.samples],
        }
        if self.samples:
            data.update(
                median_s=round(self.median, 3),
                p95_s=round(self.p95, 3),
                max_s=round(self.max, 3),
                slowest=self.slowest.label,
            )
        return data


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank `q`-th percentile of `values` (non-empty): the smallest value with at
    least `q` percent of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def hang_target(kata: Kata, method: str | None = None) -> tuple[str, str]:
    """(exported name, method) to hang: in the first exported class, `method` if given, else the
    public method (not a dunder) the hidden suite calls most, else its first public method; a
    function exported first hangs itself (method ``""``). Raises KataError if there is none."""
    api = public_api(kata.stub)
    owners = [name for name in kata.exports if name in api]
    if not owners:
        raise KataError(f"{kata.id}: no exported name found in the stub {kata.stub}")
    classes = [name for name in owners if api[name]]
    if method is not None:
        for owner in classes:
            if method in api[owner]:
                return owner, method
        raise KataError(f"{kata.id}: no exported class has a public method {method!r}")
    if not classes:
        return owners[0], ""
    owner = classes[0]
    candidates = [m for m in api[owner] if not m.startswith("__")] or api[owner]
    calls = suite_calls(kata.hidden_suite, candidates)
    return owner, max(candidates, key=lambda m: calls[m])  # first listed wins a tie


def suite_calls(suite: Path, names: Iterable[str]) -> Counter[str]:
    """How many calls ``x.name(...)`` of each of `names` the Python files under `suite` make."""
    wanted = set(names)
    calls: Counter[str] = Counter()
    files = sorted(suite.rglob("*.py")) if suite.is_dir() else [suite] if suite.is_file() else []
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in wanted
            ):
                calls[node.func.attr] += 1
    return calls


def insert_hang(source: str, owner: str, method: str) -> tuple[str, int]:
    """`source` with `HANG` as the first statement of ``owner.method`` (of the function `owner`
    when `method` is empty), after its docstring if any; returns (new source, the 1-based line
    of the loop). Raises KataError when the function is missing or written on its def's line."""
    tree = ast.parse(source)
    func = _find_function(tree, owner, method)
    if func is None:
        raise KataError(f"no function {owner}{'.' + method if method else ''} in the source")
    first = func.body[0]
    if first.lineno == func.lineno:
        raise KataError(f"{func.name} is written on the line of its def: no line to insert at")
    lines = source.splitlines(keepends=True)
    indent = lines[first.lineno - 1][: first.col_offset]
    docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    at = (first.end_lineno or first.lineno) if docstring else first.lineno - 1
    lines.insert(at, f"{indent}{HANG}\n")
    return "".join(lines), at + 1


def _find_function(
    tree: ast.Module, owner: str, method: str
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    for node in tree.body:
        if not method and isinstance(node, functions) and node.name == owner:
            return node
        if method and isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, functions) and item.name == method:
                    return item
    return None


@dataclass
class Bench:
    """One benchmark session: the katas' files and the side effects, injectable for tests."""

    root: Path = ROOT
    limits: Limits = QUICK
    hang_method: str | None = None
    grade_fn: GradeFn = grade
    compare_fn: CompareFn = compare
    clock: Clock = time.monotonic
    mypy_cache: Path | None = None
    """mypy's cache for every grade (None: none kept), as a learner's is kept between grades."""

    def learner_tests(self, kata: Kata, name: str = "thorough_test.py") -> Path:
        """The learner test file the ``*-with-tests`` scenarios grade (it may not exist);
        ``learner_test.py`` is the learner-sized one of the ``learner-*`` scenarios."""
        return self.root / LEARNER_TESTS / kata.id / name

    def graded(
        self,
        kata: Kata,
        solution: Path,
        label: str,
        *,
        seed: int,
        level: int | None = None,
        tests: Path | None = None,
        profile: str = "quick",
        cache_dir: Path | None = None,
    ) -> tuple[Sample, str]:
        """Grade `solution` as ``kata grade`` would, rendering its terminal report the way the
        command does (header, a line per check as it finishes, footer); the learner's tests'
        runs are kept in and reused from `cache_dir` (None: none kept). Returns the sample (wall
        time of the grade alone) and the report's text."""
        stream = io.StringIO()
        printer = Printer(kata, stream=stream, colour=False)
        partial = Report(kata=kata, solution=label, seed=seed, profile=profile, level=level)
        printer.header(partial)

        def on_check(check: Check) -> None:
            partial.checks.append(check)
            printer.check(check)

        limits = self.limits if profile == "quick" else PROFILE_LIMITS[profile]
        extra: dict[str, Any] = {"profile": profile} if profile != "quick" else {}
        if cache_dir is not None:
            extra["tests_cache"] = cache_dir
        if self.mypy_cache is not None:
            extra["mypy_cache"] = self.mypy_cache
        start = self.clock()
        report = self.grade_fn(
            kata,
            solution,
            label=label,
            seed=seed,
            level=level,
            limits=limits,
            tests=tests,
            on_check=on_check,
            **extra,
        )
        seconds = self.clock() - start
        printer.footer(report)
        text = stream.getvalue()
        detail = report.message().splitlines()[0] if report.status != "pass" else ""
        if report.user_tests is not None:
            ut = report.user_tests
            detail = ut.error or f"bugs caught {ut.bugs_caught}/{ut.bugs_total}"
            if getattr(ut, "reused", False):
                detail += " (planted-bug runs reused)"
        sample = Sample(label, seconds, report.status, len(text.splitlines()), detail=detail)
        return sample, text

    def reference(self, kata: Kata, seed: int, run: int) -> list[Sample]:
        """One quick grade of the reference, quality included."""
        return [self.graded(kata, kata.reference, f"run {run}", seed=seed)[0]]

    def planted_bugs(self, kata: Kata, seed: int, run: int) -> list[Sample]:
        """A quick grade of each planted bug written out as ``solution.py``: a sample per bug."""
        source = kata.reference.read_text(encoding="utf-8")
        samples = []
        for bug in load_bugs(kata.planted_bugs):
            with tempfile.TemporaryDirectory(prefix="kata-gradebench-") as tmp:
                path = Path(tmp) / "solution.py"
                path.write_text(bug.apply(source), encoding="utf-8")
                samples.append(self.graded(kata, path, bug.id, seed=seed)[0])
        return samples

    def with_tests(self, kata: Kata, seed: int, run: int, level: int | None) -> list[Sample]:
        """A grade of the reference with the learner test file, levels 1..`level` (all: None)."""
        tests = self.learner_tests(kata)
        sample, _ = self.graded(
            kata, kata.reference, f"run {run}", seed=seed, level=level, tests=tests
        )
        return [sample]

    def hang(self, kata: Kata, seed: int, run: int) -> list[Sample]:
        """A quick grade of the reference with `HANG` in the method `hang_target` picks; the
        sample says whether the report names ``solution.py:LINE in METHOD`` of the loop."""
        owner, method = hang_target(kata, self.hang_method)
        text, line = insert_hang(kata.reference.read_text(encoding="utf-8"), owner, method)
        name = method or owner
        with tempfile.TemporaryDirectory(prefix="kata-gradebench-") as tmp:
            path = Path(tmp) / "solution.py"
            path.write_text(text, encoding="utf-8")
            sample, report = self.graded(kata, path, f"{name} (run {run})", seed=seed)
        where = f"solution.py:{line} in {name}"
        sample.names_line = where in report
        sample.detail = f"{where}: {'named' if sample.names_line else 'NOT named'} in the report"
        return [sample]

    def learner(self, kata: Kata, seed: int, run: int, scenario: str) -> list[Sample]:
        """A grade of the reference with the learner-sized test file (`scenario`: full, level 2,
        thorough, or full again after only solution.py changed), with a cache folder of its own."""
        tests = self.learner_tests(kata, LEARNER_SIZED)
        level = 2 if scenario == "learner-level-2" else None
        profile = "thorough" if scenario == "learner-thorough" else "quick"
        with tempfile.TemporaryDirectory(prefix="kata-gradebench-") as tmp:
            cache = Path(tmp) / "cache"
            solution = kata.reference
            if scenario == "learner-solution-changed":
                self.graded(kata, solution, "first grade", seed=seed, tests=tests, cache_dir=cache)
                solution = Path(tmp) / "solution.py"
                solution.write_text(
                    kata.reference.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8"
                )
            sample, _ = self.graded(
                kata,
                solution,
                f"run {run}",
                seed=seed,
                level=level,
                tests=tests,
                profile=profile,
                cache_dir=cache,
            )
        return [sample]

    def hang_assigned(self, kata: Kata, seed: int, run: int) -> list[Sample]:
        """A quick grade of the reference whose hanging method is a module function assigned to
        the class under the method's name."""
        owner, method = hang_target(kata, self.hang_method)
        if not method:
            raise KataError(f"{kata.id}: no exported class has a method to replace")
        text = kata.reference.read_text(encoding="utf-8") + (
            "\n\ndef _bench_loop(*args: object, **kwargs: object) -> None:\n"
            f"    {HANG}\n\n\n{owner}.{method} = _bench_loop  # type: ignore\n"
        )
        with tempfile.TemporaryDirectory(prefix="kata-gradebench-") as tmp:
            path = Path(tmp) / "solution.py"
            path.write_text(text, encoding="utf-8")
            sample, _ = self.graded(kata, path, f"{owner}.{method} (run {run})", seed=seed)
        return [sample]

    def stray_child(self, kata: Kata, seed: int, run: int) -> list[Sample]:
        """The cost of a learner's test that starts a child in its own session: a full grade
        with ``thorough_test.py`` and that test, less the same grade without it."""
        tests = self.learner_tests(kata)
        mark = f"kata-gradebench-stray-{os.getpid()}-{run}"
        with tempfile.TemporaryDirectory(prefix="kata-gradebench-") as tmp:
            with_child = Path(tmp) / "test_with_child.py"
            with_child.write_text(
                tests.read_text(encoding="utf-8") + STRAY_TEST.replace("MARK", mark),
                encoding="utf-8",
            )
            plain, _ = self.graded(kata, kata.reference, "without", seed=seed, tests=tests)
            sample, _ = self.graded(kata, kata.reference, f"run {run}", seed=seed, tests=with_child)
        left = _kill_marked(mark)
        extra = sample.seconds - plain.seconds
        detail = (
            f"{sample.seconds:.1f} s with the child, {plain.seconds:.1f} s without; "
            f"{len(left)} children left running; {sample.detail}"
        )
        return [replace(sample, seconds=extra, detail=detail, left=len(left))]

    def compare(self, kata: Kata, seed: int, run: int) -> list[Sample]:
        """One ``kata compare`` of the reference with itself."""
        start = self.clock()
        result = self.compare_fn(kata, kata.reference, label="reference", seed=seed)
        seconds = self.clock() - start
        detail = result.error or result.benchmark_error
        return [Sample(f"run {run}", seconds, "error" if result.error else "ok", detail=detail)]

    def skip_reason(self, kata: Kata, scenario: str) -> str:
        """Why `scenario` cannot run on `kata` ("" when it can)."""
        uses = (
            self.learner_tests(kata, LEARNER_SIZED)
            if scenario.startswith("learner-")
            else self.learner_tests(kata)
            if scenario.endswith("with-tests") or scenario == "stray-child"
            else None
        )
        if uses is not None and not uses.is_file():
            return f"skipped: no learner test file {uses}"
        if scenario == "planted-bugs" and not load_bugs(kata.planted_bugs):
            return f"skipped: no planted bugs in {kata.planted_bugs}"
        return ""

    def scenario(self, name: str, kata: Kata, seed: int, run: int) -> list[Sample]:
        """The samples of one run of scenario `name` (a key of `SCENARIOS`) on `kata`."""
        if name == "full-with-tests":
            return self.with_tests(kata, seed, run, None)
        if name == "level-1-with-tests":
            return self.with_tests(kata, seed, run, 1)
        if name.startswith("learner-"):
            return self.learner(kata, seed, run, name)
        runner: Callable[[Kata, int, int], list[Sample]] = {
            "reference": self.reference,
            "planted-bugs": self.planted_bugs,
            "hang": self.hang,
            "compare": self.compare,
            "hang-assigned": self.hang_assigned,
            "stray-child": self.stray_child,
        }[name]
        return runner(kata, seed, run)


def benchmark(
    bench: Bench,
    katas: Sequence[Kata],
    scenarios: Sequence[str],
    *,
    runs: int = 1,
    seed: int = 0,
    on_sample: Callable[[Result, Sample], None] = lambda result, sample: None,
) -> list[Result]:
    """Run each of `scenarios` (keys of `SCENARIOS`, run in that table's order) on each kata,
    `runs` times, one wait at a time; run ``i`` (from 0) grades with seed ``seed + i``. A scenario
    that cannot run on a kata, or raises KataError, gets a note instead of (further) samples.
    Returns one result per (kata, scenario)."""
    order = [s for s in SCENARIOS if s in scenarios]
    results = {(k.id, s): Result(k.id, s) for k in katas for s in order}
    for run in range(runs):
        for kata in katas:
            for name in order:
                result = results[kata.id, name]
                if run == 0:
                    result.note = bench.skip_reason(kata, name)
                if result.note:
                    continue
                try:
                    samples = bench.scenario(name, kata, seed + run, run + 1)
                except KataError as error:
                    result.note = f"error: {error}"
                    continue
                for sample in samples:
                    result.samples.append(sample)
                    on_sample(result, sample)
    return list(results.values())


def _figure(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f}"


def table(results: Sequence[Result]) -> list[str]:
    """The results as an aligned table, a row per (kata, scenario), then a line per row that has
    something to add (the slowest bug, the hang's report, a skip or an error)."""
    rows = [("kata", "scenario", "samples", "median s", "p95 s", "max s", "goal", "verdict")]
    notes = []
    for r in results:
        has = bool(r.samples)
        p95 = r.p95 if has and len(r.samples) > 1 else None
        rows.append(
            (
                r.kata,
                SCENARIOS[r.scenario],
                str(len(r.samples)),
                _figure(r.median if has else None),
                _figure(p95),
                _figure(r.max if has else None),
                GOALS[r.scenario].text,
                r.verdict(),
            )
        )
        notes += [f"  {r.kata} {SCENARIOS[r.scenario]}: {line}" for line in _notes(r)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines + notes


def _notes(result: Result) -> list[str]:
    if not result.samples:
        return [result.note] if result.note else []
    notes = [result.note] if result.note else []
    slowest = result.slowest
    if result.scenario == "planted-bugs":
        notes.append(f"slowest bug {slowest.label} ({slowest.seconds:.1f} s)")
        passed = [s.label for s in result.samples if s.status == "pass"]
        if passed:
            notes.append(f"graded as passing every check: {', '.join(passed)}")
    elif result.scenario == "hang":
        lines = max(s.report_lines for s in result.samples)
        notes.append(f"report up to {lines} lines; {slowest.detail}")
    elif result.scenario == "reference" and any(s.status != "pass" for s in result.samples):
        notes.append("the reference did not pass: " + slowest.detail)
    elif slowest.detail:
        notes.append(slowest.detail)
    return notes


def machine(loadavg: Callable[[], tuple[float, float, float]] = os.getloadavg) -> dict[str, Any]:
    """The load average (1, 5, 15 minutes) and the cpu counts, for reading the figures."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 0
    return {"loadavg": list(loadavg()), "cpu_count": os.cpu_count(), "usable_cpus": usable}


def _load(figures: dict[str, Any]) -> str:
    return " ".join(f"{x:.2f}" for x in figures["loadavg"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kata.gradebench",
        description="Time the grader's waits per scenario against their goals.",
    )
    parser.add_argument("katas", nargs="*", metavar="ID", help="katas to measure (default: all)")
    parser.add_argument("--runs", type=int, default=1, help="repeat each scenario N times")
    parser.add_argument(
        "--scenarios",
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every figure here")
    parser.add_argument("--seed", type=int, help="Hypothesis seed of run 1 (default: random)")
    parser.add_argument(
        "--hang-method", metavar="NAME", help="the method to hang (default: the most called)"
    )
    parser.add_argument(
        "--hogs",
        type=int,
        default=0,
        metavar="H",
        help="busy-looping processes beside the grades, as the goals assume (default 0)",
    )
    parser.add_argument(
        "--check-timeout",
        type=float,
        default=QUICK.check_seconds,
        metavar="S",
        help=f"seconds per check, as `kata grade --check-timeout` ({QUICK.check_seconds:g})",
    )
    return parser


def _scenarios(text: str | None, parser: argparse.ArgumentParser) -> list[str]:
    if text is None:
        return list(SCENARIOS)
    names = [part.strip().lower().replace(" ", "-").replace("_", "-") for part in text.split(",")]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    return names


def warm_mypy_cache(folder: Path, katas: Sequence[Kata]) -> Path:
    """`folder` after mypy checked each kata's reference with it as its cache: what a learner's
    cache holds after their first grade (the standard library, numpy). Not timed."""
    for kata in katas:
        quality.mypy(kata.reference, cache_dir=folder)
    return folder


def main(
    argv: Sequence[str] | None = None,
    *,
    root: Path = ROOT,
    stream: TextIO | None = None,
    bench: Bench | None = None,
) -> int:
    """Run the benchmark command line on the katas under `root`; returns the exit code (0 every
    goal met, 1 a goal missed, 2 error). `bench` replaces the real grader (for tests)."""
    out = stream or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if args.runs < 1 or args.check_timeout <= 0 or args.hogs < 0:
        parser.error("--runs must be >= 1, --check-timeout positive and --hogs >= 0")
    scenarios = _scenarios(args.scenarios, parser)
    try:
        katas = [catalog.load_kata(k, root) for k in args.katas or catalog.kata_ids(root)]
    except KataError as error:
        print(f"kata.gradebench: error: {error}", file=sys.stderr)
        return 2
    base = bench or Bench()
    bench = replace(
        base,
        root=root,
        hang_method=args.hang_method,
        limits=replace(base.limits, check_seconds=args.check_timeout),
    )
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    before = machine()
    print(
        f"gradebench: {', '.join(k.id for k in katas)}; {args.runs} run(s), seed {seed}; "
        f"{args.hogs} busy processes beside; "
        f"cpus {before['cpu_count']} (usable {before['usable_cpus']}); "
        f"load average at start {_load(before)}",
        file=out,
        flush=True,
    )

    def progress(result: Result, sample: Sample) -> None:
        extra = f"; {sample.detail}" if sample.detail else ""
        print(
            f"  {result.kata} {SCENARIOS[result.scenario]} {sample.label}: "
            f"{sample.seconds:.1f} s ({sample.status}){extra}",
            file=out,
            flush=True,
        )

    try:
        with busy(args.hogs), tempfile.TemporaryDirectory(prefix="kata-bench-mypy-") as cache:
            if bench.grade_fn is grade:
                bench = replace(bench, mypy_cache=warm_mypy_cache(Path(cache), katas))
            results = benchmark(
                bench, katas, scenarios, runs=args.runs, seed=seed, on_sample=progress
            )
    except KeyboardInterrupt:
        print("kata.gradebench: interrupted", file=sys.stderr)
        return 130
    after = machine()
    print("", file=out)
    for line in table(results):
        print(line, file=out)
    print(f"load average at end {_load(after)} (1, 5, 15 min)", file=out)
    if args.json:
        data = {
            "seed": seed,
            "runs": args.runs,
            "hogs": args.hogs,
            "machine_start": before,
            "machine_end": after,
            "results": [r.as_json() for r in results],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}", file=out)
    return 1 if any(r.verdict().startswith("FAIL") for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
