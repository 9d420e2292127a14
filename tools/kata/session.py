"""What the learner asked for, resolved and carried out: the one owner of a workspace's state.

Each command of the `kata` line is one function here. They resolve what to act on (which kata,
file, tests, levels, limits, seed), refuse bad input before anything changes, and make every
change of a workspace's state under that workspace's lock, atomically, writing the history from
the saved state in the same step. A grade reads the graded files once, into a snapshot that
every phase uses. Output goes through `Context.out`; nothing here parses text back.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from kata import catalog, history, interview, render, scratch
from kata.catalog import Kata
from kata.compare import compare as run_compare
from kata.compare import print_comparison
from kata.errors import HistoryError, InterviewError, KataError, SolutionError, UsageError
from kata.grade import PROFILE_LIMITS, grade_options
from kata.grade import grade as grade_snapshot
from kata.grading import Check, ensure_python_file
from kata.interview import Outcome
from kata.model import BUGS, Attempt, GradeRecord, LevelScore
from kata.report import Printer, Report
from kata.sandbox import Limits
from kata.usertests import bugs_for_level
from kata.watch import watch as run_watch
from kata.workspace import Now, State, Workspace, utc_now, write_atomically

SEED_RANGE = (0, 2**63 - 1)
"""Seeds are stored as SQLite integers."""


class WatchOptions(Protocol):
    """`kata watch`'s options."""

    profile: str
    no_quality: bool
    seed: int | None
    poll: bool
    debounce: int


@dataclass(frozen=True)
class Context:
    """The side effects a command may use, passed in so tests control them."""

    root: Path
    home: Path
    now: Now = utc_now
    rng: random.Random = field(default_factory=random.Random)
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    new_uid: Callable[[], str] = lambda: uuid.uuid4().hex

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out, flush=True)

    def warn(self, text: str) -> None:
        print(f"kata: warning: {text}", file=self.err, flush=True)

    @property
    def database(self) -> Path:
        return history.database(self.home)


def _record_history(ctx: Context, grade: GradeRecord | None, attempt: Attempt | None) -> None:
    """Write a grade and/or an attempt's state; a history that cannot be written is a warning."""
    try:
        if grade is not None:
            history.record(ctx.database, grade, attempt)
        elif attempt is not None:
            history.save_attempt(ctx.database, attempt)
    except HistoryError as error:
        ctx.warn(f"history not recorded: {error}")


def _repair(ws: Workspace, state: State, ctx: Context | None = None) -> None:
    """Add to the README every unlocked level it lacks (a step that stopped half-way); under
    the lock. Raises InterviewError when the README cannot take it, or, given `ctx`, warns."""
    if state.attempt is None or state.appended >= state.attempt.unlocked:
        return
    try:
        state.appended = interview.append_missing(ws.readme, interview.statement_of(ws.kata), state)
    except InterviewError as error:
        if ctx is None:
            raise
        ctx.warn(str(error))
        return
    ws.save(state)


# --- start ------------------------------------------------------------------------------------


class StartOptions(Protocol):
    """`kata start`'s options."""

    force: bool
    timed: bool
    interview: bool


def start(ctx: Context, kata_id: str, options: StartOptions) -> int:
    """`kata start`: a new workspace (the old one moved to a backup with `force`)."""
    mode = "interview" if options.interview else "timed" if options.timed else "plain"
    force = options.force
    kata = catalog.load_kata(kata_id, ctx.root)
    ws = Workspace(kata)
    statement = interview.statement_of(kata) if mode == "interview" else None
    with ws.locked():
        if not force:
            ws.refuse_existing()
        previous = _previous(ws)
        files = {"solution.py": kata.stub, "test_solution.py": kata.starter_tests}
        files["README.md"] = kata.statement
        if statement is not None:
            files = {"solution.py": kata.interview_stub, "test_solution.py": kata.interview_tests}
        moment = ctx.now()
        backup = ws.make(files, statement.up_to(1) if statement else None, ctx.now)
        attempt = (
            interview.new_attempt(kata, statement, moment, ctx.new_uid()) if statement else None
        )
        ws.save(State(mode, moment, moment, attempt, appended=1 if attempt else 0))
        abandoned = _abandon(ctx, backup, previous, moment)
        _record_history(ctx, None, attempt)
    ctx.say(*render.start_lines(kata, ws, mode, backup, abandoned is not None))
    return 0


def _previous(ws: Workspace) -> State | None:
    """The state of the workspace about to be replaced, if it can be read."""
    try:
        return ws.load() if ws.folder.is_dir() else None
    except KataError:
        return None


def _abandon(
    ctx: Context, backup: Path | None, previous: State | None, moment: datetime
) -> Attempt | None:
    """End the replaced workspace's running interview as abandoned, in its backup and history."""
    if backup is None or previous is None or previous.attempt is None:
        return None
    attempt = previous.attempt
    if attempt.finished:
        return None
    interview.end(attempt, max(ctx.now(), previous.last_seen), "abandoned")
    previous.last_seen = attempt.finished_at or previous.last_seen
    try:
        write_atomically(backup / ".kata-state.json", json.dumps(previous.as_json(), indent=2))
    except KataError as error:
        ctx.warn(str(error))
    _record_history(ctx, None, attempt)
    return attempt


# --- grade ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeOptions:
    """`kata grade`'s options as given (None: not given)."""

    kata: str
    solution: Path | None = None
    reference: bool = False
    tests: Path | None = None
    no_tests: bool = False
    json_out: Path | None = None
    seed: int | None = None
    level: int | None = None
    profile: str = "quick"
    strict_quality: bool = False
    no_quality: bool = False
    no_history: bool = False
    hints: bool = False
    fresh: bool = False
    show_reference: bool = False
    check_timeout: float | None = None
    run_timeout: float | None = None
    memory_mb: int | None = None


@dataclass
class Plan:
    """A grade resolved: what to grade, how, and which workspace state it belongs to."""

    kata: Kata
    solution: Path
    label: str
    tests: Path | None
    seed: int
    level: int | None
    limits: Limits
    options: GradeOptions
    target: str
    workspace: Workspace | None
    """Set when the graded file is the workspace's own solution.py."""
    state: State | None = None
    """The workspace's state as it was when the grade started."""
    cache: Path | None = None
    """Where the runs of the learner's tests on the reference and the bugs are kept (and mypy's
    cache, in its ``mypy`` folder)."""

    def words(self) -> list[str]:
        """The options beyond file, seed, profile and level that reproduce this grade."""
        o = self.options
        quality_on, strict = not o.no_quality, o.strict_quality
        return grade_options(
            o.profile,
            self.limits,
            check_quality=quality_on,
            strict_quality=strict,
            tests=self.tests,
        )


MIN_MEMORY_MB = 256
"""Below this, Python with pytest, Hypothesis and numpy cannot start."""


def _in_range(option: str, value: float | None, low: float, high: float) -> None:
    """Refuse `value` of `option` outside [low, high] (NaN included)."""
    if value is not None and not low <= value <= high:
        raise UsageError(f"{option} {value}: give a number from {low:g} to {high:g}")


def limits_of(options: GradeOptions) -> Limits:
    """The profile's limits with the options' changes; raises UsageError naming the option."""
    base = PROFILE_LIMITS[options.profile]
    if options.memory_mb is not None and options.memory_mb < MIN_MEMORY_MB:
        raise UsageError(
            f"--memory-mb {options.memory_mb}: a memory limit of {options.memory_mb} MB is too "
            f"small to start Python with pytest and numpy; give at least {MIN_MEMORY_MB}"
        )
    _in_range("--memory-mb", options.memory_mb, MIN_MEMORY_MB, 2**20)
    _in_range("--check-timeout", options.check_timeout, 0.1, 86400)
    _in_range("--run-timeout", options.run_timeout, 0.1, 86400)
    _in_range("--seed", options.seed, *SEED_RANGE)
    return Limits(
        check_seconds=options.check_timeout or base.check_seconds,
        run_seconds=options.run_timeout or base.run_seconds,
        memory_mb=options.memory_mb or base.memory_mb,
    )


def _shown(kata: Kata, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(kata.root.resolve()))
    except ValueError:
        return str(path)


def plan_grade(ctx: Context, options: GradeOptions) -> Plan:
    """Resolve `options` into a `Plan`, refusing bad input before anything runs or changes."""
    kata = catalog.load_kata(options.kata, ctx.root)
    if options.level is not None and not 1 <= options.level <= max(len(kata.levels), 1):
        raise UsageError(f"--level must be between 1 and {len(kata.levels)} for {kata.id}")
    ws = Workspace(kata)
    own = not options.reference and options.solution is None
    if options.reference:
        solution, label, target = kata.reference, "reference", " --reference"
    elif options.solution is not None:
        solution, label = options.solution, str(options.solution)
        target = f" --solution {label}"
        own = solution.resolve() == ws.solution.resolve()
    else:
        solution, label, target = ws.solution, _shown(kata, ws.solution), ""
        if not solution.is_file():
            raise SolutionError(
                f"no solution to grade: {label} does not exist. Run `kata start {kata.id}` "
                "first, or pass --solution FILE or --reference"
            )
    ensure_python_file(solution)
    tests = _tests(options, ws, own)
    _check_output(options.json_out, kata, ws, [solution, *([tests] if tests else [])])
    seed = options.seed if options.seed is not None else ctx.rng.randrange(10**6)
    plan = Plan(
        kata,
        solution,
        label,
        tests,
        seed,
        options.level,
        limits_of(options),
        options,
        target,
        ws if own else None,
        cache=ctx.home / "cache" if not options.no_history else None,
    )
    if own and ws.folder.is_dir():
        with ws.locked():
            plan.state = ws.load()
            if plan.state is not None:
                plan.state.read_clock(ctx.now, kata.id)
                if plan.state.attempt is not None:
                    plan.level = interview.grading_level(plan.state.attempt, options.level)
    return plan


def _tests(options: GradeOptions, ws: Workspace, own: bool) -> Path | None:
    tests = options.tests
    if tests is None and own and not options.no_tests:
        tests = ws.tests if ws.tests.is_file() else None
    if options.no_tests:
        return None
    if tests is not None:
        if not tests.is_file():
            raise SolutionError(f"{tests}: no such test file")
        ensure_python_file(tests)
    return tests


def _check_output(out: Path | None, kata: Kata, ws: Workspace, inputs: list[Path]) -> None:
    """Refuse a `--json` target that is an input, lies in the workspace or cannot be written."""
    if out is None:
        return
    for path in inputs:
        if out.resolve() == path.resolve():
            raise UsageError(f"--json {out}: that is a file being graded; name a new file")
    if ws.contains(out) or out.resolve().is_relative_to((kata.root / "katas").resolve()):
        raise UsageError(
            f"--json {out}: the report is never written into your workspace or the kata's "
            "folder; name a file elsewhere"
        )
    if out.is_dir():
        raise UsageError(f"--json {out}: that is a folder; name a file")
    if out.suffix == ".py":
        raise UsageError(f"--json {out}: a report is not a Python file; name a .json file")
    folder = out.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(f"--json {out}: the folder {folder} does not exist or is not writable")


def grade(ctx: Context, options: GradeOptions) -> int:
    """`kata grade`: grade a snapshot of the files, print the report, then record it and, in
    an interview, unlock the next level or end the attempt. Returns the exit code."""
    plan = plan_grade(ctx, options)
    scratch.sweep()
    printer = Printer(plan.kata, stream=ctx.out)
    with scratch.folder("snapshot") as snap:
        solution, tests, digest = _snapshot(plan, snap)
        report = _run(plan, printer, solution, tests, ctx.now)
    if report is None:
        return 130
    record = _record(plan, report, digest, ctx.now())
    outcome, code = _settle(ctx, plan, record)
    if plan.state is not None and plan.state.attempt is not None and plan.state.attempt.finished:
        report.attempt_ended = plan.state.attempt.minutes
    printer.footer(report)
    if outcome is not None:
        report.interview = outcome.__dict__
        ctx.say(
            *render.outcome_lines(
                plan.kata, outcome, _shown(plan.kata, Workspace(plan.kata).readme)
            )
        )
    if options.json_out is not None:
        write_atomically(options.json_out, json.dumps(report.as_json(), indent=2) + "\n")
        ctx.say(f"wrote {options.json_out}")
    if outcome is not None and outcome.finished:
        _scorecard(ctx, plan.kata)
    return code or report.exit_code


def _snapshot(plan: Plan, folder: Path) -> tuple[Path, Path | None, str]:
    """Copies of the solution and test files, read once; the solution's SHA-256."""
    data = plan.solution.read_bytes()
    solution = folder / "solution.py"
    solution.write_bytes(data)
    tests = None
    if plan.tests is not None:
        tests = folder / "tests" / plan.tests.name
        tests.parent.mkdir()
        tests.write_bytes(plan.tests.read_bytes())
    return solution, tests, hashlib.sha256(data).hexdigest()


def _run(
    plan: Plan, printer: Printer, solution: Path, tests: Path | None, now: Now
) -> Report | None:
    """Grade the snapshot, printing checks as they finish; None when interrupted."""
    o = plan.options
    partial = Report(
        kata=plan.kata,
        solution=plan.label,
        seed=plan.seed,
        profile=o.profile,
        level=plan.level,
        target=plan.target,
        options=plan.words(),
    )
    printer.header(partial)

    def on_check(check: Check) -> None:
        partial.checks.append(check)
        printer.check(check)

    try:
        report = grade_snapshot(
            plan.kata,
            solution,
            label=plan.label,
            seed=plan.seed,
            profile=o.profile,
            level=plan.level,
            limits=plan.limits,
            check_quality=not o.no_quality,
            strict_quality=o.strict_quality,
            tests=tests,
            tests_label=str(plan.tests) if plan.tests else None,
            tests_cache=plan.cache,
            fresh=o.fresh,
            mypy_cache=plan.cache / "mypy" if plan.cache else None,
            on_check=on_check,
        )
    except KeyboardInterrupt:
        done = len(partial.checks)
        partial.error = (
            f"interrupted after {done} check{'s' * (done != 1)}; grading processes stopped"
        )
        printer.footer(partial)
        return None
    report.target, report.show_hints = plan.target, o.hints
    state = plan.state
    if state is not None and state.timed:
        report.elapsed_minutes = state.minutes_at(now())
    return report


def _record(plan: Plan, report: Report, digest: str, moment: datetime) -> GradeRecord:
    """The history record of `report`."""
    levels_graded = report.level or max((c.level for c in report.checks), default=0)
    levels_graded = levels_graded or len(report.kata.levels)
    scores = []
    for level in sorted({c.level for c in report.checks}):
        for kind in sorted({c.kind for c in report.checks if c.level == level}):
            mine = [c for c in report.checks if c.level == level and c.kind == kind]
            scores.append(LevelScore(level, kind, sum(c.passed for c in mine), len(mine)))
    tests = report.user_tests
    usable = tests is not None and not tests.error
    state = plan.state
    running = state is not None and state.attempt is not None and not state.attempt.finished
    return GradeRecord(
        kata=report.kata.id,
        graded_at=moment,
        solution=report.solution,
        solution_sha256=digest,
        seed=report.seed,
        profile=report.profile,
        level=report.level,
        levels_graded=levels_graded,
        status=report.status,
        passed=sum(c.passed for c in report.checks),
        total=len(report.checks),
        scores=scores + _bug_scores(report, levels_graded),
        bugs_caught=tests.bugs_caught if usable and tests else None,
        bugs_total=tests.bugs_total if usable and tests else None,
        tests_set_aside=list(tests.failing_on_reference) if tests else [],
        ruff_findings=report.findings.get("ruff"),
        mypy_findings=report.findings.get("mypy"),
        duration_s=report.duration_s,
        elapsed_minutes=report.elapsed_minutes,
        attempt_uid=state.attempt.uid if running and state and state.attempt else None,
        error=report.error.splitlines()[0] if report.error else "",
        own_work=plan.workspace is not None,
        missed=list(report.missed_bugs),
        hints=len(report.missed_bugs) if report.show_hints else 0,
    )


def _bug_scores(report: Report, levels: int) -> list[LevelScore]:
    """Per level, how many of its planted bugs the learner's tests caught."""
    tests = report.user_tests
    if tests is None or tests.error or not tests.bugs_total:
        return []
    try:
        bugs = bugs_for_level(report.kata, levels)
    except KataError:
        return []
    missed = {bug.id for bug in report.missed_bugs}
    scores = []
    for level in sorted({b.level for b in bugs}):
        mine = [b for b in bugs if b.level == level]
        caught = sum(b.id not in missed for b in mine) if tests.graded_against_bugs else 0
        scores.append(LevelScore(level, BUGS, caught, len(mine)))
    return scores


def _settle(ctx: Context, plan: Plan, record: GradeRecord) -> tuple[Outcome | None, int]:
    """Record the grade; in the workspace's interview, apply it. All under the workspace's lock,
    against the state as it is now (another command may have changed it during the grade)."""
    ws = plan.workspace
    if ws is None or not ws.folder.is_dir():
        if not plan.options.no_history:
            _record_history(ctx, record, None)
        return None, 0
    with ws.locked():
        state = ws.load()
        outcome = _apply(ctx, plan, state, record)
        if state is not None:
            ws.save(state)
        attempt = (
            state.attempt
            if state and outcome and outcome.kind not in ("ended", "replaced")
            else None
        )
        if not plan.options.no_history:
            _record_history(ctx, record, attempt)
        if state is None:
            return outcome, 0
        try:
            _repair(ws, state)
        except InterviewError as error:
            print(f"kata: error: {error}", file=ctx.err)
            return outcome, 2
    return outcome, 0


def _apply(ctx: Context, plan: Plan, state: State | None, record: GradeRecord) -> Outcome | None:
    """What `record` does to `state` (changed in place, not saved)."""
    if state is None:
        return None
    moment = max(ctx.now(), state.last_seen)
    attempt, started = state.attempt, plan.state.attempt if plan.state else None
    if attempt is None:
        state.last_grade, state.last_seen = record, moment
        _note_hints(state, record)
        return None
    if started is None or attempt.uid != started.uid:
        return Outcome("replaced")
    if attempt.finished:
        return Outcome("ended", minute=attempt.minutes or 0.0)
    minute = (moment - attempt.started_at).total_seconds() / 60
    outcome = interview.decide(attempt, record, minute, interview.statement_of(plan.kata))
    interview.apply(state, outcome, record, moment)
    _note_hints(state, record)
    return outcome


def _note_hints(state: State, record: GradeRecord) -> None:
    """A grade with `--hints` shows every missed bug: count the ones not shown before."""
    if not record.hints:
        return
    new = [bug for bug in record.missed if bug.id not in state.hints_shown]
    state.hints_shown += [bug.id for bug in new]
    if state.attempt is not None:
        for bug in new:
            state.attempt.levels[bug.level - 1].hints += 1


# --- status, finish, hint, history ----------------------------------------------------------


def _find(ctx: Context, kata_id: str | None, *, running_only: bool = False) -> Kata:
    """The kata a command is about: `kata_id`, or else the only timed workspace or interview
    in progress (else, unless `running_only`, the most recently started one)."""
    if kata_id is not None:
        return catalog.load_kata(kata_id, ctx.root)
    found: list[tuple[Kata, State]] = []
    for kid in catalog.kata_ids(ctx.root):
        kata = catalog.load_kata(kid, ctx.root)
        ws = Workspace(kata)
        if not ws.state_path.is_file():
            continue
        try:
            state = ws.load()
        except KataError:
            continue
        if state is not None and state.timed:
            found.append((kata, state))
    running = [(k, s) for k, s in found if s.attempt is None or not s.attempt.finished]
    if len(running) == 1:
        return running[0][0]
    if len(running) > 1:
        names = ", ".join(k.id for k, _ in running)
        raise InterviewError(
            f"several interviews or timed starts are in progress ({names}); name one"
        )
    if found and not running_only:
        return max(found, key=lambda pair: pair[1].started_at)[0]
    what = "no interview is in progress" if found else "there is no interview"
    raise InterviewError(f"{what}; start one with `kata start ID --interview`")


def _timed_state(ws: Workspace, *, interview_only: bool = False) -> State:
    """The workspace's state, which must be timed (or an interview); under the lock."""
    state = ws.load()
    if state is None:
        raise InterviewError(
            f"{_shown(ws.kata, ws.folder)} has no state file ({ws.state_path.name}): it was not "
            f"made by `kata start`, or the file was deleted; start again with `kata start "
            f"{ws.kata.id} --interview --force` (your work is moved to a backup first)"
        )
    if not state.timed or (interview_only and state.attempt is None):
        what = "an interview" if interview_only else "an interview or a timed start"
        raise InterviewError(
            f"{_shown(ws.kata, ws.folder)} is not {what}: it was started without --interview. "
            f"Start one with `kata start {ws.kata.id} --interview --force` (your work is moved "
            "to a backup first)"
        )
    return state


def status(ctx: Context, kata_id: str | None) -> int:
    """`kata status`: the clock, the levels and the last grade of a timed workspace."""
    kata = _find(ctx, kata_id)
    ws = Workspace(kata)
    with ws.locked():
        state = _timed_state(ws)
        moment = state.read_clock(ctx.now, kata.id)
        _repair(ws, state, ctx)
    ctx.say(*render.status_lines(kata, state, moment))
    return 0


def finish(ctx: Context, kata_id: str | None) -> int:
    """`kata finish`: end the interview now (if it runs) and print its scorecard."""
    kata = _find(ctx, kata_id)
    ws = Workspace(kata)
    with ws.locked():
        state = _timed_state(ws, interview_only=True)
        attempt = state.attempt
        assert attempt is not None
        moment = state.read_clock(ctx.now, kata.id)
        if not attempt.finished:
            interview.end(attempt, moment, "finished")
            state.last_seen = moment
            ws.save(state)
            _record_history(ctx, None, attempt)
    _scorecard(ctx, kata)
    return 0


def _scorecard(ctx: Context, kata: Kata) -> None:
    ws = Workspace(kata)
    with ws.locked():
        state = _timed_state(ws, interview_only=True)
    assert state.attempt is not None
    try:
        earlier: list[Attempt] | None = history.load(ctx.database, kata.id)[0]
    except HistoryError as error:
        ctx.warn(f"cannot compare with earlier attempts: {error}")
        earlier = None
    ctx.say("", *render.scorecard_lines(kata, state.attempt, state.last_grade, earlier))


def hint(ctx: Context, kata_id: str) -> int:
    """`kata hint`: the description of the next planted bug the last grade's tests missed,
    counted in the interview and the history."""
    kata = catalog.load_kata(kata_id, ctx.root)
    ws = Workspace(kata)
    with ws.locked():
        state = ws.load()
        if state is None or state.last_grade is None or state.last_grade.bugs_total is None:
            raise KataError(
                f"no grade of your tests yet in {_shown(kata, ws.folder)}: run "
                f"`kata grade {kata.id}` first; a hint names a planted bug your tests missed"
            )
        missed = state.last_grade.missed
        left = [bug for bug in missed if bug.id not in state.hints_shown]
        shown = left[0] if left else None
        if shown is not None:
            state.hints_shown.append(shown.id)
            if state.attempt is not None and not state.attempt.finished:
                state.attempt.levels[shown.level - 1].hints += 1
            ws.save(state)
            _record_history(ctx, None, state.attempt)
    ctx.say(*render.hint_lines(kata, shown, max(len(left) - 1, 0), len(missed)))
    return 0


def show_history(ctx: Context, kata_id: str | None, *, as_json: bool) -> int:
    """`kata history`: every grade and attempt, newest first, the best and the trend."""
    kid = catalog.load_kata(kata_id, ctx.root).id if kata_id else None
    warnings: list[str] = []
    attempts, grades = history.load(ctx.database, kid, warnings)
    for warning in warnings:
        ctx.warn(warning)
    if as_json:
        data = render.history_json(attempts, grades, history.SCHEMA_VERSION)
        ctx.say(json.dumps({"path": str(ctx.database), **data}, indent=2))
        return 0
    if not attempts and not grades:
        ctx.say(f"no grades recorded yet{f' for {kid}' if kid else ''} (history: {ctx.database})")
        return 0
    titles = {k.id: k.title for k in catalog.list_katas(ctx.root)}
    ctx.say(f"history: {ctx.database}")
    ctx.say(*render.history_lines(attempts, grades, titles, unicode=render.unicode_ok(ctx.out)))
    return 0


def list_katas(ctx: Context) -> int:
    """`kata list`: each kata's id, title, difficulty, levels and time budget."""
    katas = catalog.list_katas(ctx.root)
    if not katas:
        ctx.say(f"no katas found under {ctx.root / 'katas'}")
        return 0
    width = max(len(k.id) for k in katas)
    for k in katas:
        about = f"{k.title} · {k.difficulty} · {len(k.levels)} levels · {k.minutes} min"
        ctx.say(f"{k.id:<{width}}  {about}")
        ctx.say(*(f"{'':<{width}}    level {n}: {name}" for n, name in enumerate(k.levels, 1)))
    return 0


# --- watch, compare -----------------------------------------------------------------------------


def watch(ctx: Context, kata_id: str, options: WatchOptions) -> int:
    """`kata watch`: grade the workspace again at each save, each grade a `kata grade` child."""
    kata = catalog.load_kata(kata_id, ctx.root)
    Workspace(kata).existing()
    _in_range("--seed", options.seed, *SEED_RANGE)
    _in_range("--debounce", options.debounce, 1, 60_000)
    argv = [sys.executable, "-m", "kata.cli", "--root", str(ctx.root), "grade", kata.id]
    argv += ["--profile", options.profile] + ["--no-quality"] * options.no_quality
    argv += [] if options.seed is None else ["--seed", str(options.seed)]
    env = {**os.environ, "KATA_HOME": str(ctx.home)}
    return run_watch(
        kata,
        argv,
        folder=Workspace(kata).folder,
        env=env,
        debounce_ms=options.debounce,
        poll=options.poll,
        on_hint=lambda: hint(ctx, kata.id),
    )


def compare(ctx: Context, options: GradeOptions) -> int:
    """`kata compare`: the solution beside the reference."""
    plan = plan_grade(ctx, replace(options, no_tests=True, no_history=True))
    scratch.sweep()
    with scratch.folder("snapshot") as snap:
        solution, _, _ = _snapshot(plan, snap)
        result = run_compare(
            plan.kata, solution, label=plan.label, seed=plan.seed, limits=plan.limits
        )
    print_comparison(result, show_reference=options.show_reference)
    if options.json_out is not None:
        result.write_json(options.json_out)
        ctx.say(f"wrote {options.json_out}")
    return 0 if not result.error else 2
