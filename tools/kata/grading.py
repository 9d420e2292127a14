"""Grading: run a kata's hidden suite against one file in isolated processes and collect verdicts.

The solution is copied as ``solution.py`` into a fresh temporary directory with a copy of the
hidden suite, and pytest runs there in a separate process under `Limits`. Verdicts come only from
the records the runner's pytest plugin appends to a file in a second temporary directory the
solution is not told about; what the process prints is kept for diagnosis, never parsed.

When a check hangs or crashes its process, that check gets its verdict and a new process runs the
checks not yet run, so one broken method never hides the verdicts of the others.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kata import scratch
from kata.catalog import Kata, clause_level
from kata.errors import SolutionError
from kata.sandbox import DEFAULT_LIMITS, Limits, Process, child_env, stop_all, stopping

Clock = Callable[[], float]

HYPOTHESIS_PLUGIN = "_hypothesis_pytestplugin"
NO_PLUGIN_AUTOLOAD = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
"""Grading processes load only the plugins they name: no installed plugin may reorder or skip
checks, and pytest does not rewrite (and recompile, with bytecode writing off) every module of
every plugin's distribution at each start, which made each process start 0.4 s slower."""


@dataclass
class Check:
    """The verdict of one check: ``pass``, ``fail`` (a wrong answer) or ``error`` (it raised,
    hung, crashed, or was not run)."""

    id: str
    name: str
    level: int
    kind: str = "correctness"
    clauses: list[str] = field(default_factory=list)
    status: str = "error"
    message: str = ""
    example: str = ""
    where: str = ""
    output: str = ""
    duration_s: float = 0.0
    timed_out: bool = False
    """The check ran out of time: its answers are not decided (see `charge_to_cost`)."""
    property_based: bool = False
    """The check draws examples with Hypothesis, so what it finds depends on the seed."""
    hung: str = ""
    """The solution function that was running when the check ran out of time, if known."""
    cause: list[str] = field(default_factory=list)
    """For a check not decided because another clause failed first: those clauses (its
    `clauses` name them too, so the failing-clause set is the set of broken clauses, and
    `tested` the clauses it would have decided)."""
    tested: list[str] = field(default_factory=list)
    """For a check that ran out of time: the clauses it was testing (its `clauses` then name
    the kata's cost clauses it is charged to)."""
    skipped: bool = False
    """The test was skipped or xfailed (``pytest.skip``, ``@pytest.mark.xfail``): it decided
    nothing. Its status stays what pytest's outcome maps to (not ``pass``)."""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass
class SuiteRun:
    """What one grading run of a test suite produced."""

    checks: list[Check]
    error: str = ""
    """Set when no check could run at all (the file does not load, the suite did not collect)."""
    problems: list[str] = field(default_factory=list)
    """Run-level failures that are not one check's (a process that would not exit)."""
    notes: list[str] = field(default_factory=list)
    """Information for the learner that fails nothing (a method not written yet)."""
    output: str = ""


def ensure_python_file(path: Path) -> None:
    """Raise SolutionError unless `path` is a readable UTF-8 .py file."""
    if not path.exists():
        raise SolutionError(f"{path}: no such file")
    if not path.is_file():
        raise SolutionError(f"{path}: not a file")
    if path.suffix != ".py":
        raise SolutionError(f"{path}: not a Python file (expected a .py file)")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise SolutionError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from error
    except OSError as error:
        raise SolutionError(f"{path}: cannot be read ({error.strerror})") from error


_PARSING = threading.Lock()
"""`ast.parse` in several threads at once can fail on CPython 3.11 (grades run side by side)."""


def public_api(stub: Path) -> dict[str, list[str]]:
    """Exported class -> public method names, read from the stub's source (never executed): the
    names without a leading underscore and the special methods it defines (``__len__``,
    ``__contains__``, ...), except ``__init__``, which every class has."""
    api: dict[str, list[str]] = {}
    if not stub.is_file():
        return api
    with _PARSING:
        tree = ast.parse(stub.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            api[node.name] = [
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and (not item.name.startswith("_") or _special(item.name))
            ]
        elif isinstance(node, ast.FunctionDef):
            api[node.name] = []
    return api


def _special(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and name != "__init__"


@contextmanager
def sandbox_dirs() -> Iterator[tuple[Path, Path]]:
    """(workdir, private): a directory for the code under test and one for the verdict records."""
    work, private = scratch.make("work"), scratch.make("verdict")
    try:
        yield work, private
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


def graded_api(kata: Kata, level: int | None) -> dict[str, list[str]]:
    """Export -> its public methods, as the stub declares them, limited to the names levels
    1..`level` introduce (manifest ``level_api``; every name for None or without one): a grade of
    level 1 neither requires nor mentions a name of a later level."""
    declared = public_api(kata.stub)
    api = {name: declared.get(name, []) for name in kata.exports}
    if level is None or not kata.level_api:
        return api
    known = {n for names in kata.level_api for n in names}
    shown = {n for names in kata.level_api[:level] for n in names}

    def graded(name: str) -> bool:
        return name in shown or name not in known

    return {e: [m for m in ms if graded(m)] for e, ms in api.items() if graded(e)}


def probe_solution(
    kata: Kata,
    workdir: Path,
    private: Path,
    limits: Limits,
    clock: Clock = time.monotonic,
    *,
    level: int | None = None,
) -> tuple[str, list[str]]:
    """Compile and import ``workdir/solution.py`` in its own process.

    Returns (error message or "", notes). Catches syntax errors (with file:line), exceptions and
    hangs at import time, a process that ends itself while importing, and missing names (of
    levels 1..`level`, see `graded_api`). Takes at most ``min(check_seconds, run_seconds)`` plus
    the exit grace; the process never outlives the call (not even on KeyboardInterrupt).
    """
    out = private / "probe.json"
    names = graded_api(kata, level)
    limit = min(limits.check_seconds, limits.run_seconds)
    proc = Process(
        [sys.executable, "-m", "kata.probe", str(out), json.dumps(names)],
        workdir,
        limits,
        child_env(),
    )
    try:
        deadline = clock() + limit
        while proc.returncode is None and not out.exists() and clock() < deadline:
            proc.wait(0.02)
        if not out.exists():
            proc.kill()
            if proc.killed_by_us:
                return (
                    f"importing solution.py did not finish within {limit:g} s "
                    "(an infinite loop or a blocking call at import time?)",
                    [],
                )
            return f"importing solution.py ended the process: it {proc.describe_exit()}", []
        proc.wait(limits.exit_grace_seconds)
    finally:
        proc.kill()
    try:
        result = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "importing solution.py produced no verdict (its process was tampered with)", []
    notes = [f"solution.py has no method {m} yet" for m in result.get("missing_methods", [])]
    return (
        "" if result.get("ok") else str(result.get("message", "could not load solution.py"))
    ), notes


class _Records:
    """Reads complete JSON lines appended to a file, from where the last read stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def poll(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as stream:
                stream.seek(self.offset)
                data = stream.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.offset += end
        records = []
        for line in data[:end].splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records


def _check_from(info: dict[str, Any]) -> Check:
    return Check(
        id=str(info["id"]),
        name=str(info["name"]),
        level=int(info.get("level", 1)),
        kind=str(info.get("kind", "correctness")),
        clauses=[str(c) for c in info.get("clauses", [])],
        property_based=bool(info.get("property", False)),
    )


def _lay_out(
    workdir: Path, solution: Path, suite: Path, extra_files: Sequence[tuple[Path, str]]
) -> str:
    """Copy the solution (as ``solution.py``), the extra files and the suite into `workdir`;
    the pytest target (``checks`` for a folder, else the file's name)."""
    shutil.copyfile(solution, workdir / "solution.py")
    for source, name in extra_files:
        shutil.copyfile(source, workdir / name)
    (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    if suite.is_dir():
        shutil.copytree(suite, workdir / "checks", ignore=shutil.ignore_patterns("__pycache__"))
        return "checks"
    shutil.copyfile(suite, workdir / suite.name)
    return suite.name


def _pytest_options(
    private: Path,
    *,
    stop_at_first_failure: bool,
    markers: str | None,
    deselect: Sequence[str],
    shrink: bool,
    plain_asserts: bool,
    examples_first: bool,
    first: Sequence[str],
    only: Sequence[str] | None,
    level: int | None,
) -> list[str]:
    """The pytest and plugin options of a run (see `run_suite`); lists go in files in
    `private`."""
    flags = {
        "-x": stop_at_first_failure,
        "--kata-no-shrink": not shrink,
        "--assert=plain": plain_asserts,
        "--kata-examples-first": examples_first,
    }
    options = [flag for flag, wanted in flags.items() if wanted]
    options += ["-m", markers] if markers else []
    for check_id in deselect:
        options += ["--deselect", check_id]
    for option, ids, name in (("--kata-first", first, "first"), ("--kata-only", only, "only-0")):
        if ids is not None and (ids or option == "--kata-only"):
            listed = private / f"{name}.json"
            listed.write_text(json.dumps(list(ids)), encoding="utf-8")
            options += [option, str(listed)]
    return options + (["--kata-level", str(level)] if level is not None else [])


def run_suite(
    suite: Path,
    solution: Path,
    *,
    kata: Kata | None = None,
    seed: int = 0,
    profile: str = "quick",
    level: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    on_check: Callable[[Check], None] = lambda check: None,
    extra_files: Sequence[tuple[Path, str]] = (),
    stop_at_first_failure: bool = False,
    markers: str | None = None,
    deselect: Sequence[str] = (),
    only: Sequence[str] | None = None,
    shrink: bool = True,
    examples_first: bool = False,
    first: Sequence[str] = (),
    plain_asserts: bool = False,
    shards: int = 1,
    clock: Clock = time.monotonic,
) -> SuiteRun:
    """Run the pytest suite at `suite` (a folder or one test file) against `solution`.

    `solution` is imported by the suite as the module ``solution``. `extra_files` are copied beside
    it as (source, name). `on_check` is called with each verdict as it arrives; with
    `stop_at_first_failure` the checks after the first failure are left unrun; `markers` selects
    checks by a pytest marker expression (``"not performance"``); `deselect` names check ids to
    leave out and `only` (when given) the check ids to run; without `shrink`, Hypothesis
    reports the first failing example it finds instead of
    shrinking it (for runs where only pass or fail matters); `examples_first` runs example-based
    checks before property-based ones; `first` names check ids to run before all others, in
    that order (those likely to fail, when only the first failure matters); `plain_asserts`
    skips pytest's assertion rewriting (a failed ``assert`` fails the same, with a plainer
    message, and the test file is not rewritten at each start: for runs where only pass or fail
    matters). When `kata` is
    given, the file is first probed for the kata's exports. With `shards` (not with
    `stop_at_first_failure`), that many processes share the checks, each taking every
    `shards`-th of the run's order, and the checks come back in that order. Cost: one process per
    shard, plus one more per check that hangs or crashes its process. The probe counts towards
    ``limits.run_seconds``.
    """
    ensure_python_file(solution)
    deadline = clock() + limits.run_seconds
    with sandbox_dirs() as (workdir, private):
        target = _lay_out(workdir, solution, suite, extra_files)
        notes: list[str] = []
        if kata is not None:
            error, notes = probe_solution(kata, workdir, private, limits, clock, level=level)
            if error:
                return SuiteRun(checks=[], error=error, notes=notes)
        options = _pytest_options(
            private,
            stop_at_first_failure=stop_at_first_failure,
            markers=markers,
            deselect=deselect,
            shrink=shrink,
            plain_asserts=plain_asserts,
            examples_first=examples_first,
            first=first,
            only=only,
            level=level,
        )
        source = solution.read_text(encoding="utf-8")
        count = 1 if stop_at_first_failure else max(1, shards)
        lock = threading.Lock()

        def shard(index: int) -> SuiteRun:
            folder, extra = private, []
            if count > 1:
                folder, extra = private / f"shard-{index}", ["--kata-shard", f"{index}/{count}"]
                folder.mkdir()
            return _run_checks(
                _Run(workdir, folder, target, seed, profile, options + extra, limits, source),
                charge=(lambda check: charge_to_cost([check], kata)) if kata else lambda c: None,
                deadline=deadline,
                on_check=locked,
                clock=clock,
            )

        def locked(check: Check) -> None:
            with lock:
                if not stopping():  # once stopped, a shard's killed check is no verdict
                    on_check(check)

        result = shard(0) if count == 1 else _merged(_in_threads(shard, count))
        result.notes[:0] = notes
        return result


def _in_threads(run: Callable[[int], SuiteRun], count: int) -> list[SuiteRun]:
    """`run(0)` .. `run(count - 1)` at once; on Ctrl-C every grading process is stopped first."""
    pool = ThreadPoolExecutor(max_workers=count)
    try:
        return list(pool.map(run, range(count)))
    except BaseException:
        stop_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _merged(runs: list[SuiteRun]) -> SuiteRun:
    """One run of the shards' `runs` (shard k ran positions k, k+n, ...): their checks in the
    run's order, the first error, every problem."""
    checks = [
        c for row in itertools.zip_longest(*(r.checks for r in runs)) for c in row if c is not None
    ]
    return SuiteRun(
        checks=checks,
        error=next((r.error for r in runs if r.error), ""),
        problems=[p for r in runs for p in r.problems],
        notes=list(dict.fromkeys(n for r in runs for n in r.notes)),
        output="\n".join(r.output for r in runs if r.output),
    )


def charge_to_cost(checks: Sequence[Check], kata: Kata) -> None:
    """A correctness check that ran out of time did not decide whether the answers are right: it
    is charged to the kata's cost clauses (those of its level and below, else those of the
    lowest level that has any), kind
    ``performance``, and keeps the clauses it was testing in `tested`."""
    for check in checks:
        if not check.timed_out or check.kind != "correctness" or not kata.cost_clauses:
            continue
        cost = kata.cost_clauses_up_to(check.level) or kata.cost_clauses_up_to(
            min(clause_level(c) for c in kata.cost_clauses)
        )
        check.tested, check.clauses, check.kind = check.clauses, cost, "performance"
        check.message += (
            f"\ncharged to the cost rule ({', '.join(cost)}), not to "
            f"{', '.join(check.tested) or 'a correctness clause'}: whether the answers are right "
            "is not decided"
        )


@dataclass
class _Attempt:
    """One grading process and what it has reported so far."""

    proc: Process
    reader: _Records
    stacks: Path
    current: str | None = None
    """The check running now (started, no result yet)."""
    started: float = 0.0
    examples: int = 0
    """Hypothesis examples the current check has finished."""
    memory_at_start: int = 0
    finished_at: float | None = None
    threads: list[str] = field(default_factory=list)
    out_of_time: str = ""
    """Why the grader stopped the process for lack of time ("" if it did not)."""
    stack: str = ""
    """What the process's threads were doing when it was stopped for lack of time."""


@dataclass
class _Progress:
    """What every grading process of one run has established so far."""

    charge: Callable[[Check], None]
    """Charges a check that ran out of time to the kata's cost clauses."""
    checks: dict[str, Check] | None = None
    done: dict[str, Check] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    collect_errors: list[str] = field(default_factory=list)
    hung: dict[str, int] = field(default_factory=dict)
    """Key of a solution code object (``name:line``, see `hung_code`) -> how many checks it hung
    in (the plugin guards it, whatever names hold it)."""

    def remaining(self) -> list[str]:
        return [c for c in self.checks or {} if c not in self.done]

    def finish(self, check: Check, on_check: Callable[[Check], None]) -> None:
        if check.timed_out:
            self.charge(check)
        self.done[check.id] = check
        on_check(check)


def _pytest_argv(
    target: str, workdir: Path, *, results: Path, stacks: Path, seed: int, profile: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        target,
        "-q",
        "-s",
        "--no-header",
        "-p",
        "no:cacheprovider",
        "-p",
        HYPOTHESIS_PLUGIN,
        "-p",
        "kata.pytest_plugin",
        "--rootdir",
        str(workdir),
        "--kata-results",
        str(results),
        "--kata-stacks",
        str(stacks),
        "--kata-solution",
        "solution.py",
        "--kata-profile",
        profile,
        f"--hypothesis-seed={seed}",
        "-W",
        "ignore::DeprecationWarning",
    ]


@dataclass(frozen=True)
class _Run:
    """What every grading process of one run shares."""

    workdir: Path
    private: Path
    target: str
    seed: int
    profile: str
    options: list[str]
    limits: Limits
    source: str = ""
    """The text of the solution under test (to tell which function hung)."""


def _launch(number: int, progress: _Progress, run: _Run) -> _Attempt:
    """Start grading process `number`; after the first, it runs only the checks not yet done."""
    workdir, private, limits = run.workdir, run.private, run.limits
    results = private / f"records-{number}.jsonl"
    stacks = private / f"stacks-{number}.txt"
    argv = (
        _pytest_argv(
            run.target, workdir, results=results, stacks=stacks, seed=run.seed, profile=run.profile
        )
        + run.options
    )
    if progress.hung:
        argv += [
            "--kata-hung",
            json.dumps(progress.hung),
            "--kata-hung-seconds",
            f"{hung_call_seconds(limits.check_seconds):g}",
        ]
    if progress.checks is not None:
        only = private / f"only-{number}.json"
        only.write_text(json.dumps(progress.remaining()), encoding="utf-8")
        argv += ["--kata-only", str(only)]
    proc = Process(argv, workdir, limits, child_env(NO_PLUGIN_AUTOLOAD))
    return _Attempt(proc=proc, reader=_Records(results), stacks=stacks)


def _take(
    record: dict[str, Any],
    attempt: _Attempt,
    progress: _Progress,
    on_check: Callable[[Check], None],
    clock: Clock,
) -> None:
    """Apply one record of the plugin's to the run."""
    event = record.get("event")
    checks = progress.checks
    if event == "collected" and checks is None:
        progress.checks = {c["id"]: _check_from(c) for c in record.get("checks", [])}
    elif event == "collect_error":
        progress.collect_errors.append(str(record.get("message", "")))
    elif event == "start":
        attempt.current, attempt.started, attempt.examples = str(record.get("id")), clock(), 0
        attempt.memory_at_start = attempt.proc.peak_memory_bytes
    elif event == "strike":
        # Counted when the guard stops the call: the process may yet be stopped before the
        # check's result is in, and the next process must know.
        key = str(record.get("key"))
        progress.hung[key] = progress.hung.get(key, 0) + 1
    elif event == "progress" and record.get("id") == attempt.current:
        attempt.examples = int(record.get("examples", 0))
    elif event == "result" and checks is not None and record.get("id") in checks:
        _take_result(
            record, checks[str(record["id"])], attempt, progress, on_check=on_check, clock=clock
        )
    elif event == "done":
        attempt.finished_at = clock()
        attempt.threads = [str(t) for t in record.get("threads", [])]


def _take_result(
    record: dict[str, Any],
    check: Check,
    attempt: _Attempt,
    progress: _Progress,
    *,
    on_check: Callable[[Check], None],
    clock: Clock,
) -> None:
    """Give `check` the verdict of its result record."""
    # An exception raised inside the solution is an error; a wrong answer a fail.
    outcome = record.get("outcome")
    undecided = outcome == "undecided"
    check.status = (
        "pass" if outcome == "passed" else "error" if record.get("where") or undecided else "fail"
    )
    if undecided:
        check.tested = list(check.clauses)
    if "clauses" in record:
        check.clauses = [str(c) for c in record["clauses"]] or check.clauses
    check.cause = list(check.clauses) if undecided else []
    if outcome == "hung":
        check.status, check.timed_out, check.hung = "error", True, str(record.get("hung"))
    check.skipped = outcome == "skipped"
    check.message = str(record.get("message", ""))
    check.example = str(record.get("example", ""))
    check.where = str(record.get("where", ""))
    check.output = str(record.get("output", ""))
    check.duration_s = round(clock() - attempt.started, 3)
    attempt.current = None
    progress.finish(check, on_check)


def _follow(
    attempt: _Attempt,
    progress: _Progress,
    *,
    limits: Limits,
    deadline: float,
    on_check: Callable[[Check], None],
    clock: Clock,
) -> None:
    """Read the process's records until it exits, a check runs out of time, the run's deadline
    passes, or it will not exit after its checks."""
    while True:
        exited = attempt.proc.wait(0.05) is not None
        for record in attempt.reader.poll():
            _take(record, attempt, progress, on_check, clock)
        if exited:
            return
        now = clock()
        if attempt.current is not None and now - attempt.started > limits.check_seconds:
            attempt.out_of_time = (
                f"this check did not finish within the {limits.check_seconds:g} s limit per check"
            )
            return
        if (
            attempt.finished_at is not None
            and now - attempt.finished_at > limits.exit_grace_seconds
        ):
            names = ", ".join(attempt.threads) or "unknown"
            progress.problems.append(
                "the grading process did not exit after its checks finished: "
                f"non-daemon threads still running ({names}); a service must be able to shut down"
            )
            return
        if now > deadline:
            attempt.out_of_time = (
                f"this check was still running when the {limits.run_seconds:g} s limit for the "
                "run was reached"
            )
            return


STACK_WAIT_SECONDS = 1.0
HUNG_CALL_SECONDS = 1.0
"""After a method hung in one check, how long one call of it may take in later checks (see
`hung_call_seconds`); after a second hang it is not called again."""


def hung_call_seconds(check_seconds: float) -> float:
    """How long one call of code that hung before may take: HUNG_CALL_SECONDS or a tenth of the
    per-check limit, whichever is longer, but at most a quarter of that limit. The check must
    outlive the call: its setup ran before the call, and pytest still reports the stopped call
    after it, and a check the per-check limit stops is waited for in full and costs a restart."""
    return min(max(HUNG_CALL_SECONDS, check_seconds / 10), check_seconds / 4)


def _dump_stacks(attempt: _Attempt, workdir: Path, clock: Clock) -> None:
    """Ask the process for every thread's stack (faulthandler, on SIGUSR1) before it is killed."""
    if not attempt.proc.send(signal.SIGUSR1):
        return
    until = clock() + STACK_WAIT_SECONDS
    size = -1
    while clock() < until:
        attempt.proc.wait(0.05)
        now_size = attempt.stacks.stat().st_size if attempt.stacks.exists() else 0
        if now_size and now_size == size:
            break
        size = now_size
    with contextlib.suppress(OSError):
        text = attempt.stacks.read_text(encoding="utf-8", errors="replace")
        attempt.stack = text.replace(f"{workdir}/", "")


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)')


def stuck_at(stack: str, solution: str = "solution.py") -> tuple[str, str, list[str]]:
    """From a faulthandler dump (paths relative to the work directory): where the thread that ran
    the check was inside `solution` (``solution.py:12 in get``, innermost), the function of
    `solution` that the check had called (the outermost such frame: ``get``), and the frames of
    every thread that was inside `solution`, innermost first, each as ``file:line in func``."""
    where = entry = ""
    lines: list[str] = []
    threads = re.split(r"\n(?=(?:Current thread|Thread) 0x)", stack.strip())
    for thread in threads:
        frames = [m for m in map(_FRAME.match, thread.splitlines()) if m]
        if not any(m["file"] == solution for m in frames):
            continue
        current = thread.startswith("Current thread")
        lines.append("thread running the check:" if current else "another thread:")
        for m in frames:
            if m["file"].startswith(("/", "<")):
                continue  # the standard library, pytest, Hypothesis: not the learner's business
            lines.append(f"  {m['file']}:{m['line']} in {m['func']}")
            if current and m["file"] == solution:
                where = where or f"{solution}:{m['line']} in {m['func']}"
                entry = m["func"]
    return where, entry, lines


def hung_code(stack: str, source: str, solution: str = "solution.py") -> list[str]:
    """Keys (``name:line``, see the plugin's ``--kata-hung``) of the code objects the thread
    that ran the check was in when it was stopped: the outermost frame of `solution` (what the
    check called) and the innermost (where it looped, perhaps a helper). `line` is the line of
    the enclosing ``def`` when `source` (the solution's text) parses, so every hang in one
    function gives one key; else the frame's line. O(len(stack) + len(source))."""
    current = next(
        (
            t
            for t in re.split(r"\n(?=(?:Current thread|Thread) 0x)", stack.strip())
            if t.startswith("Current thread")
        ),
        "",
    )
    frames = [
        (m["func"], int(m["line"]))
        for m in map(_FRAME.match, current.splitlines())
        if m and m["file"] == solution
    ]
    if not frames:
        return []
    defs = _def_lines(source)
    keys = []
    for func, line in dict.fromkeys([frames[-1], frames[0]]):
        spans = [(lo, hi) for lo, hi in defs.get(func, []) if lo <= line <= hi]
        keys.append(f"{func}:{max(spans)[0] if spans else line}")
    return keys


def _def_lines(source: str) -> dict[str, list[tuple[int, int]]]:
    """Function name -> (def line, last line) of every function defined in `source` ({} if it
    does not parse)."""
    try:
        with _PARSING:
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, list[tuple[int, int]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.setdefault(node.name, []).append((node.lineno, node.end_lineno or node.lineno))
    return found


def _settle(
    attempt: _Attempt,
    progress: _Progress,
    limits: Limits,
    *,
    on_check: Callable[[Check], None],
    clock: Clock,
    source: str = "",
) -> None:
    """Give the check that was running when the process stopped its verdict: out of time (not
    decided), or it ended its process (a crash, an exit, out of memory). `source` is the
    solution's text, to tell which function hung."""
    checks = progress.checks or {}
    current = attempt.current
    if current is None or current not in checks or current in progress.done:
        return
    check = checks[current]
    check.status = "error"
    check.duration_s = round(clock() - attempt.started, 3)
    output = attempt.proc.output_tail()
    memory = ""
    if attempt.proc.hit_memory_limit() and attempt.proc.peak_memory_bytes > attempt.memory_at_start:
        memory = f" (it ran into the {limits.memory_mb} MB memory limit: out of memory)"
    elif "MemoryError" in output:
        memory = " (out of memory)"
    if memory or not attempt.out_of_time:
        # Out of memory, a crash or an exit: the check's own failure, whatever the clock said.
        how = attempt.out_of_time or (
            f"this check ended its process: the process {attempt.proc.describe_exit()}"
        )
        check.message = how + memory
    else:
        check.timed_out = True
        got = (
            f" after {attempt.examples} generated example{'s' * (attempt.examples != 1)}"
            if attempt.examples
            else ""
        )
        check.message = f"not decided: too slow - {attempt.out_of_time}{got}"
        where, entry, frames = stuck_at(attempt.stack)
        check.where = where
        for key in hung_code(attempt.stack, source):
            progress.hung[key] = progress.hung.get(key, 0) + 1
        if entry:
            check.hung = entry
        if frames:
            check.message += "\nwhere the code was when it was stopped:\n" + "\n".join(frames[:12])
    progress.finish(check, on_check)


def _run_checks(
    run: _Run,
    *,
    charge: Callable[[Check], None],
    deadline: float,
    on_check: Callable[[Check], None],
    clock: Clock,
) -> SuiteRun:
    """Run the checks in grading processes, a new one after each check that hangs or crashes
    its process, until every check has a verdict or the run's deadline passes."""
    progress = _Progress(charge=charge)
    output = ""
    for number in itertools.count(1):
        attempt = _launch(number, progress, run)
        _watch(attempt, progress, run, deadline=deadline, on_check=on_check, clock=clock)
        output = attempt.proc.output_tail()
        failed = _collection_failed(attempt, progress, output)
        if failed is not None or progress.checks is None:
            return failed or SuiteRun(checks=[], output=output)
        stopped_in_check = attempt.current is not None
        _settle(attempt, progress, run.limits, on_check=on_check, clock=clock, source=run.source)
        remaining = progress.remaining()
        if not remaining or (attempt.finished_at is not None and not stopped_in_check):
            break
        if clock() > deadline or not stopped_in_check:
            why = (
                f"not run: the {run.limits.run_seconds:g} s limit for the run was reached"
                if clock() > deadline
                else f"not run: the grading process ended early (it {attempt.proc.describe_exit()})"
            )
            for cid in remaining:
                progress.checks[cid].message = why
                progress.finish(progress.checks[cid], on_check)
            break
    checks = progress.checks or {}
    for cid, check in checks.items():
        if cid not in progress.done:
            check.message = check.message or "not run"
            on_check(check)
    return SuiteRun(checks=list(checks.values()), problems=progress.problems, output=output)


def _watch(
    attempt: _Attempt,
    progress: _Progress,
    run: _Run,
    *,
    deadline: float,
    on_check: Callable[[Check], None],
    clock: Clock,
) -> None:
    """Follow one grading process to its end (killing it then, also on Ctrl-C, after taking
    the verdicts that were in)."""
    try:
        _follow(
            attempt, progress, limits=run.limits, deadline=deadline, on_check=on_check, clock=clock
        )
        if attempt.out_of_time and attempt.current is not None:
            _dump_stacks(attempt, run.workdir, clock)
    except KeyboardInterrupt:
        attempt.proc.kill()
        for record in attempt.reader.poll():  # the verdicts that were in before Ctrl-C
            _take(record, attempt, progress, on_check, clock)
        raise
    finally:
        attempt.proc.kill()
    for record in attempt.reader.poll():
        if record.get("event") == "collected":
            _take(record, attempt, progress, on_check, clock)


def _collection_failed(attempt: _Attempt, progress: _Progress, output: str) -> SuiteRun | None:
    """The run's result when its checks could not be collected; None when they were."""
    if progress.checks is None:
        detail = "\n".join(progress.collect_errors) or output.strip()[-3000:]
        how = "ran out of time" if attempt.out_of_time else attempt.proc.describe_exit()
        return SuiteRun(
            checks=[],
            error=(
                f"the checks could not be collected with this solution (the process {how})"
                f"\n{detail}"
            ).strip(),
            output=output,
        )
    if progress.collect_errors and not progress.done:
        return SuiteRun(
            checks=list(progress.checks.values()),
            error="\n".join(progress.collect_errors),
            output=output,
        )
    return None
