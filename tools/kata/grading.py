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
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kata.catalog import Kata
from kata.errors import SolutionError
from kata.sandbox import Limits, Process, child_env

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


def _is_python_file(path: Path) -> None:
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


def public_api(stub: Path) -> dict[str, list[str]]:
    """Exported class -> public method names, read from the stub's source (never executed)."""
    api: dict[str, list[str]] = {}
    if not stub.is_file():
        return api
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            api[node.name] = [
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and (not item.name.startswith("_") or item.name == "__len__")
            ]
        elif isinstance(node, ast.FunctionDef):
            api[node.name] = []
    return api


@contextmanager
def sandbox_dirs() -> Iterator[tuple[Path, Path]]:
    """(workdir, private): a directory for the code under test and one for the verdict records."""
    work = Path(tempfile.mkdtemp(prefix="kata-work-"))
    private = Path(tempfile.mkdtemp(prefix="kata-verdict-"))
    try:
        yield work, private
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


def probe_solution(
    kata: Kata, workdir: Path, private: Path, limits: Limits, clock: Clock = time.monotonic
) -> tuple[str, list[str]]:
    """Compile and import ``workdir/solution.py`` in its own process.

    Returns (error message or "", notes). Catches syntax errors (with file:line), exceptions and
    hangs at import time, a process that ends itself while importing, and missing names. Takes at
    most ``min(check_seconds, run_seconds)`` plus the exit grace; the process never outlives the
    call (not even on KeyboardInterrupt).
    """
    out = private / "probe.json"
    names = {name: public_api(kata.stub).get(name, []) for name in kata.exports}
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
    )


def run_suite(
    suite: Path,
    solution: Path,
    *,
    kata: Kata | None = None,
    seed: int = 0,
    profile: str = "quick",
    level: int | None = None,
    limits: Limits = Limits(),
    on_check: Callable[[Check], None] = lambda check: None,
    extra_files: Sequence[tuple[Path, str]] = (),
    stop_at_first_failure: bool = False,
    markers: str | None = None,
    clock: Clock = time.monotonic,
) -> SuiteRun:
    """Run the pytest suite at `suite` (a folder or one test file) against `solution`.

    `solution` is imported by the suite as the module ``solution``. `extra_files` are copied beside
    it as (source, name). `on_check` is called with each verdict as it arrives; with
    `stop_at_first_failure` the checks after the first failure are left unrun; `markers` selects
    checks by a pytest marker expression (``"not performance"``). When `kata` is
    given, the file is first probed for the kata's exports. Cost: one process, plus one more per
    check that hangs or crashes its process. The probe counts towards ``limits.run_seconds``.
    """
    _is_python_file(solution)
    deadline = clock() + limits.run_seconds
    with sandbox_dirs() as (workdir, private):
        shutil.copyfile(solution, workdir / "solution.py")
        for source, name in extra_files:
            shutil.copyfile(source, workdir / name)
        if suite.is_dir():
            shutil.copytree(suite, workdir / "checks", ignore=shutil.ignore_patterns("__pycache__"))
            target = "checks"
        else:
            shutil.copyfile(suite, workdir / suite.name)
            target = suite.name
        (workdir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        notes: list[str] = []
        if kata is not None:
            error, notes = probe_solution(kata, workdir, private, limits, clock)
            if error:
                return SuiteRun(checks=[], error=error, notes=notes)
        options = ["-x"] if stop_at_first_failure else []
        if markers:
            options += ["-m", markers]
        if level is not None:
            options += ["--kata-level", str(level)]
        run = _run_checks(
            workdir=workdir,
            private=private,
            target=target,
            seed=seed,
            profile=profile,
            options=options,
            limits=limits,
            deadline=deadline,
            on_check=on_check,
            clock=clock,
        )
        run.notes[:0] = notes
        return run


def _run_checks(
    *,
    workdir: Path,
    private: Path,
    target: str,
    seed: int,
    profile: str,
    options: list[str],
    limits: Limits,
    deadline: float,
    on_check: Callable[[Check], None],
    clock: Clock,
) -> SuiteRun:
    checks: dict[str, Check] | None = None
    done: dict[str, Check] = {}
    problems: list[str] = []
    collect_errors: list[str] = []
    output = ""
    attempt = 0
    while True:
        attempt += 1
        results = private / f"records-{attempt}.jsonl"
        argv = [
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
            "--kata-solution",
            "solution.py",
            "--kata-profile",
            profile,
            f"--hypothesis-seed={seed}",
            "-W",
            "ignore::DeprecationWarning",
            *options,
        ]
        if checks is not None:
            only = private / f"only-{attempt}.json"
            only.write_text(json.dumps([c for c in checks if c not in done]), encoding="utf-8")
            argv += ["--kata-only", str(only)]
        proc = Process(argv, workdir, limits, child_env(NO_PLUGIN_AUTOLOAD))
        reader = _Records(results)
        current: str | None = None
        started = clock()
        memory_at_start = 0
        finished_at: float | None = None
        threads: list[str] = []
        stopped_for = ""
        try:
            while True:
                exited = proc.wait(0.05) is not None
                for record in reader.poll():
                    event = record.get("event")
                    if event == "collected" and checks is None:
                        checks = {c["id"]: _check_from(c) for c in record.get("checks", [])}
                    elif event == "collect_error":
                        collect_errors.append(str(record.get("message", "")))
                    elif event == "start":
                        current, started = str(record.get("id")), clock()
                        memory_at_start = proc.peak_memory_bytes
                    elif event == "result" and checks is not None and record.get("id") in checks:
                        check = checks[str(record["id"])]
                        outcome = record.get("outcome")
                        # An exception raised inside the solution is an error; a wrong answer a fail.
                        check.status = (
                            "pass"
                            if outcome == "passed"
                            else "error"
                            if record.get("where")
                            else "fail"
                        )
                        check.message = str(record.get("message", ""))
                        check.example = str(record.get("example", ""))
                        check.where = str(record.get("where", ""))
                        check.output = str(record.get("output", ""))
                        check.duration_s = round(clock() - started, 3)
                        done[check.id] = check
                        current = None
                        on_check(check)
                    elif event == "done":
                        finished_at = clock()
                        threads = [str(t) for t in record.get("threads", [])]
                if exited:
                    break
                now = clock()
                if current is not None and now - started > limits.check_seconds:
                    stopped_for = (
                        f"did not finish within the {limits.check_seconds:g} s limit per check"
                    )
                    break
                if finished_at is not None and now - finished_at > limits.exit_grace_seconds:
                    names = ", ".join(threads) or "unknown"
                    problems.append(
                        "the grading process did not exit after its checks finished: "
                        f"non-daemon threads still running ({names}); a service must be able to shut down"
                    )
                    break
                if now > deadline:
                    stopped_for = f"was still running when the {limits.run_seconds:g} s limit for the run was reached"
                    break
        finally:
            proc.kill()
        for record in reader.poll():
            if record.get("event") == "collected" and checks is None:
                checks = {c["id"]: _check_from(c) for c in record.get("checks", [])}
        output = proc.output_tail()
        if checks is None:
            detail = "\n".join(collect_errors) or output.strip()[-3000:]
            how = stopped_for or proc.describe_exit()
            return SuiteRun(
                checks=[],
                error=f"the checks could not be collected with this solution (the process {how})\n{detail}".strip(),
                output=output,
            )
        if collect_errors and not done:
            return SuiteRun(
                checks=list(checks.values()), error="\n".join(collect_errors), output=output
            )
        if current is not None and current in checks and current not in done:
            check = checks[current]
            check.status = "error"
            check.message = f"this check {stopped_for or 'ended its process: the process ' + proc.describe_exit()}"
            if proc.hit_memory_limit() and proc.peak_memory_bytes > memory_at_start:
                check.message += (
                    f" (it ran into the {limits.memory_mb} MB memory limit: out of memory)"
                )
            elif "MemoryError" in output:
                check.message += " (out of memory)"
            check.duration_s = round(clock() - started, 3)
            done[current] = check
            on_check(check)
        remaining = [c for c in checks if c not in done]
        if not remaining or (finished_at is not None and current is None):
            break
        if clock() > deadline or current is None:
            why = (
                f"not run: the {limits.run_seconds:g} s limit for the run was reached"
                if clock() > deadline
                else f"not run: the grading process ended early (it {proc.describe_exit()})"
            )
            for cid in remaining:
                checks[cid].message = why
                done[cid] = checks[cid]
                on_check(checks[cid])
            break
    for cid, check in checks.items():
        if cid not in done:
            check.message = check.message or "not run"
            on_check(check)
    return SuiteRun(checks=list(checks.values()), problems=problems, output=output)
