"""The `kata` command: a thin layer over the library that turns errors into messages and exit codes.

Exit codes: 0 every check passed; 1 some check failed; 2 error (unknown kata, unloadable solution,
bad usage); 130 interrupted.

Side effects come in through `main`'s parameters: the repository (`root`), randomness (`rng`),
the clock (`now`) and the folder of the history database (`home`, default `KATA_HOME`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from kata import catalog, history, interview, workspace
from kata.catalog import ROOT, Kata
from kata.errors import HistoryError, KataError, SolutionError
from kata.grade import PROFILE_LIMITS, PROFILES, grade, grade_options
from kata.grading import Check
from kata.report import Printer, Report
from kata.sandbox import Limits
from kata.workspace import Now, utc_now


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kata", description="Practise interview katas and grade them locally."
    )
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="list the katas")

    start = sub.add_parser("start", help="copy a kata's stub and starter tests into work/ID/")
    start.add_argument("kata", metavar="ID")
    start.add_argument("--force", action="store_true", help="move existing work to a backup first")
    start.add_argument(
        "--timed", action="store_true", help="record the start time for grade to show"
    )
    start.add_argument(
        "--interview",
        action="store_true",
        help="timed, one level at a time: passing level N unlocks level N+1",
    )

    grade_cmd = sub.add_parser("grade", help="grade a solution against the hidden suite")
    grade_cmd.add_argument("kata", metavar="ID")
    which = grade_cmd.add_mutually_exclusive_group()
    which.add_argument("--solution", type=Path, metavar="FILE", help="the .py file to grade")
    which.add_argument("--reference", action="store_true", help="grade the reference solution")
    grade_cmd.add_argument(
        "--tests",
        type=Path,
        metavar="FILE",
        help="also grade this test file (default: work/ID/test_solution.py)",
    )
    grade_cmd.add_argument("--no-tests", action="store_true", help="do not grade your test file")
    grade_cmd.add_argument("--json", type=Path, metavar="OUT", help="write results.json (v3) here")
    grade_cmd.add_argument("--seed", type=int, help="Hypothesis seed (default: a new one, printed)")
    grade_cmd.add_argument("--level", type=int, metavar="N", help="grade levels 1..N only")
    grade_cmd.add_argument("--profile", choices=PROFILES, default="quick")
    grade_cmd.add_argument(
        "--strict-quality", action="store_true", help="ruff and mypy findings fail the grade"
    )
    grade_cmd.add_argument("--no-quality", action="store_true", help="skip ruff and mypy")
    grade_cmd.add_argument(
        "--no-history", action="store_true", help="do not record this grade in the history"
    )
    _limit_options(grade_cmd)

    for name, text in (
        ("status", "show the interview in progress: time, levels, last grade"),
        ("finish", "end the interview now and show its scorecard"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("kata", metavar="ID", nargs="?")

    past = sub.add_parser("history", help="your grades and interview attempts, and the trend")
    past.add_argument("kata", metavar="ID", nargs="?")
    past.add_argument("--json", action="store_true", help="print everything as JSON")

    watch_cmd = sub.add_parser("watch", help="grade again each time your files are saved")
    watch_cmd.add_argument("kata", metavar="ID")
    watch_cmd.add_argument("--no-quality", action="store_true", help="skip ruff and mypy")
    watch_cmd.add_argument("--seed", type=int, help="Hypothesis seed for every grade")
    watch_cmd.add_argument("--profile", choices=PROFILES, default="quick")
    watch_cmd.add_argument(
        "--poll", action="store_true", help="poll the files (when save events do not arrive)"
    )
    watch_cmd.add_argument(
        "--debounce", type=int, default=400, metavar="MS", help="wait for saves to settle (ms)"
    )

    compare = sub.add_parser("compare", help="compare a solution with the reference")
    compare.add_argument("kata", metavar="ID")
    compare.add_argument("--solution", type=Path, metavar="FILE")
    compare.add_argument("--json", type=Path, metavar="OUT")
    compare.add_argument("--seed", type=int)
    compare.add_argument(
        "--show-reference", action="store_true", help="print the reference (a spoiler)"
    )
    _limit_options(compare)
    return parser


def _limit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check-timeout", type=float, metavar="S", help="seconds per check")
    parser.add_argument("--run-timeout", type=float, metavar="S", help="seconds for the whole run")
    parser.add_argument(
        "--memory-mb", type=int, metavar="MB", help="memory limit of the grading process"
    )


def _limits(args: argparse.Namespace, profile: str) -> Limits:
    base = PROFILE_LIMITS[profile]
    for name, value in (
        ("check_seconds", args.check_timeout),
        ("run_seconds", args.run_timeout),
        ("memory_mb", args.memory_mb),
    ):
        if value is not None and value <= 0:
            raise KataError(
                f"--{name.replace('_seconds', '-timeout').replace('_', '-')} must be positive"
            )
    return Limits(
        check_seconds=args.check_timeout or base.check_seconds,
        run_seconds=args.run_timeout or base.run_seconds,
        memory_mb=args.memory_mb or base.memory_mb,
    )


def _solution(kata: Kata, args: argparse.Namespace) -> tuple[Path, str]:
    """The file to grade and how to name it in the report."""
    if getattr(args, "reference", False):
        return kata.reference, "reference"
    if args.solution is not None:
        return args.solution, str(args.solution)
    path = workspace.workspace(kata) / "solution.py"
    if not path.is_file():
        raise SolutionError(
            f"no solution to grade: {path} does not exist. Run `kata start {kata.id}` first, "
            "or pass --solution FILE or --reference"
        )
    return path, str(path.relative_to(kata.root))


def cmd_list(root: Path) -> int:
    katas = catalog.list_katas(root)
    if not katas:
        print("no katas found under", root / "katas")
        return 0
    width = max(len(k.id) for k in katas)
    for k in katas:
        print(
            f"{k.id:<{width}}  {k.title} · {k.difficulty} · {len(k.levels)} levels · {k.minutes} min"
        )
        for number, name in enumerate(k.levels, 1):
            print(f"{'':<{width}}    level {number}: {name}")
    return 0


def cmd_start(args: argparse.Namespace, root: Path, now: Now, home: Path) -> int:
    kata = catalog.load_kata(args.kata, root)
    if args.interview:
        return _start_interview(kata, args, now, home)
    target, backup = workspace.start(kata, force=args.force, timed=args.timed, now=now)
    if backup is not None:
        print(f"moved your previous work to {backup}")
    print(f"started {kata.id} in {target}")
    print(f"  statement: {target / 'README.md'}")
    print(f"  implement: {target / 'solution.py'}")
    print(f"  your tests: {target / 'test_solution.py'}")
    if args.timed:
        print(f"clock started: {kata.minutes} min budget; `kata grade {kata.id}` shows the time")
    print(f"then: kata grade {kata.id}")
    return 0


def _start_interview(kata: Kata, args: argparse.Namespace, now: Now, home: Path) -> int:
    started, backup, abandoned = interview.start(kata, force=args.force, now=now)
    if abandoned is not None:
        _save_attempt(home, abandoned)
        print("the interview in progress there ends as abandoned")
    if backup is not None:
        print(f"moved your previous work to {backup}")
    levels = len(started.attempt.levels)
    print(f"started an interview of {kata.id} in {started.folder}: level 1 of {levels}")
    print(f"  statement, level 1 only: {started.readme}")
    print(f"  implement: {started.folder / 'solution.py'}")
    print(f"  your tests: {started.folder / 'test_solution.py'}")
    print(f"clock started: {kata.minutes} min budget; `kata status {kata.id}` shows the time")
    following = "unlocks level 2" if levels > 1 else "ends the interview"
    print(f"then: kata grade {kata.id} (or kata watch {kata.id}); passing level 1 {following}")
    _save_attempt(home, started)
    return 0


def _warn(error: HistoryError) -> None:
    print(f"kata: warning: history not recorded: {error}", file=sys.stderr)


def _save_attempt(home: Path, state: interview.Interview) -> None:
    try:
        history.save_attempt(history.database(home), state.attempt)
    except HistoryError as error:
        _warn(error)


def _interview_of(kata: Kata, args: argparse.Namespace, now: Now) -> interview.Interview | None:
    """The interview whose workspace this grade grades, its clock checked; None if none."""
    if args.reference or args.solution is not None or not interview.is_interview(kata):
        return None
    state = interview.load(kata)
    state.read_clock(now)
    return state


def _after_grade(
    kata: Kata,
    report: Report,
    *,
    solution: Path,
    state: interview.Interview | None,
    args: argparse.Namespace,
    now: Now,
    home: Path,
) -> None:
    """Record the grade in the history; in an interview, unlock the next level or end it."""
    running = state is not None and not state.finished
    record = history.summarise(
        report,
        solution,
        graded_at=now(),
        attempt_uid=state.attempt.uid if state is not None and running else None,
        elapsed_minutes=report.elapsed_minutes,
    )
    outcome = interview.Outcome()
    try:
        if state is not None:
            outcome = interview.after_grade(kata, state, record, now)
    finally:
        if not args.no_history:
            try:
                history.record(
                    history.database(home), record, state.attempt if state and running else None
                )
            except HistoryError as error:
                _warn(error)
    for line in outcome.lines:
        print(line)
    if outcome.finished and state is not None:
        _print_scorecard(kata, state, home)


def _print_scorecard(kata: Kata, state: interview.Interview, home: Path) -> None:
    try:
        earlier: list[history.Attempt] | None = history.load(history.database(home), kata.id)[0]
    except HistoryError as error:
        print(f"kata: warning: cannot compare with earlier attempts: {error}", file=sys.stderr)
        earlier = None
    print()
    for line in interview.render_scorecard(kata, state, earlier):
        print(line)


def cmd_grade(
    args: argparse.Namespace, root: Path, rng: random.Random, now: Now, home: Path
) -> int:
    kata = catalog.load_kata(args.kata, root)
    if args.level is not None and not 1 <= args.level <= max(len(kata.levels), 1):
        raise KataError(f"--level must be between 1 and {len(kata.levels)} for {kata.id}")
    solution, label = _solution(kata, args)
    state = _interview_of(kata, args, now)
    level = interview.grading_level(state, args.level) if state is not None else args.level
    tests = args.tests
    default_tests = workspace.workspace(kata) / "test_solution.py"
    if tests is None and not args.no_tests and not args.reference and args.solution is None:
        tests = default_tests if default_tests.is_file() else None
    if tests is not None and not tests.is_file():
        raise SolutionError(f"{tests}: no such test file")
    seed = args.seed if args.seed is not None else rng.randrange(10**6)
    limits = _limits(args, args.profile)
    printer = Printer(kata)
    target = " --reference" if args.reference else (f" --solution {label}" if args.solution else "")
    partial = Report(
        kata=kata,
        solution=label,
        seed=seed,
        profile=args.profile,
        level=level,
        target=target,
        options=grade_options(
            args.profile,
            limits,
            check_quality=not args.no_quality,
            strict_quality=args.strict_quality,
            tests=tests,
        ),
    )
    printer.header(partial)

    def on_check(check: Check) -> None:
        partial.checks.append(check)
        printer.check(check)

    try:
        report = grade(
            kata,
            solution,
            label=label,
            seed=seed,
            profile=args.profile,
            level=level,
            limits=limits,
            check_quality=not args.no_quality,
            strict_quality=args.strict_quality,
            tests=tests,
            on_check=on_check,
        )
    except KeyboardInterrupt:
        done = len(partial.checks)
        partial.error = (
            f"interrupted after {done} check{'s' * (done != 1)}; grading processes stopped"
        )
        printer.footer(partial)
        return 130
    report.target = target
    if args.reference is False and args.solution is None:
        report.elapsed_minutes = workspace.elapsed_minutes(kata, now)
    printer.footer(report)
    if args.json:
        report.write_json(args.json)
        print(f"wrote {args.json}")
    _after_grade(kata, report, solution=solution, state=state, args=args, now=now, home=home)
    return report.exit_code


def cmd_status(args: argparse.Namespace, root: Path, now: Now) -> int:
    kata = interview.find(root, args.kata)
    for line in interview.render_status(kata, interview.load(kata), now):
        print(line)
    return 0


def cmd_finish(args: argparse.Namespace, root: Path, now: Now, home: Path) -> int:
    kata = interview.find(root, args.kata, running_only=True)
    state = interview.load(kata)
    interview.finish(kata, state, now)
    _save_attempt(home, state)
    _print_scorecard(kata, state, home)
    return 0


def cmd_history(args: argparse.Namespace, root: Path, home: Path) -> int:
    kata_id = catalog.load_kata(args.kata, root).id if args.kata else None
    path = history.database(home)
    attempts, grades = history.load(path, kata_id)
    if args.json:
        print(json.dumps({"path": str(path), **history.as_json(attempts, grades)}, indent=2))
        return 0
    if not attempts and not grades:
        print(f"no grades recorded yet{f' for {kata_id}' if kata_id else ''} (history: {path})")
        return 0
    titles = {k.id: k.title for k in catalog.list_katas(root)}
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    print(f"history: {path}")
    for line in history.render(attempts, grades, titles, unicode=encoding.startswith("utf")):
        print(line)
    return 0


def cmd_watch(args: argparse.Namespace, root: Path, home: Path) -> int:
    from kata.watch import watch

    kata = catalog.load_kata(args.kata, root)
    folder = workspace.existing(kata)
    if args.debounce <= 0:
        raise KataError("--debounce must be positive")
    argv = [sys.executable, "-m", "kata.cli", "--root", str(root), "grade", kata.id]
    argv += ["--profile", args.profile] + ["--no-quality"] * args.no_quality
    argv += [] if args.seed is None else ["--seed", str(args.seed)]
    env = {**os.environ, "KATA_HOME": str(home)}
    return watch(kata, argv, folder=folder, env=env, debounce_ms=args.debounce, poll=args.poll)


def cmd_compare(args: argparse.Namespace, root: Path, rng: random.Random) -> int:
    from kata.compare import compare, print_comparison

    kata = catalog.load_kata(args.kata, root)
    solution, label = _solution(kata, args)
    seed = args.seed if args.seed is not None else rng.randrange(10**6)
    result = compare(kata, solution, label=label, seed=seed, limits=_limits(args, "quick"))
    print_comparison(result, show_reference=args.show_reference)
    if args.json:
        result.write_json(args.json)
        print(f"wrote {args.json}")
    return 0 if not result.error else 2


def main(
    argv: Sequence[str] | None = None,
    *,
    root: Path = ROOT,
    rng: random.Random | None = None,
    now: Now = utc_now,
    home: Path | None = None,
) -> int:
    """Run the `kata` command line; returns the exit code instead of exiting.

    `now` is the clock of timed starts and interviews; `home` the folder of the history
    database (default: `KATA_HOME`, see `kata.history.home`).
    """
    args = _parser().parse_args(argv)
    rng = rng or random.Random()
    root = args.root or root
    home = home if home is not None else history.home()
    try:
        if args.command == "list":
            return cmd_list(root)
        if args.command == "start":
            return cmd_start(args, root, now, home)
        if args.command == "grade":
            return cmd_grade(args, root, rng, now, home)
        if args.command == "status":
            return cmd_status(args, root, now)
        if args.command == "finish":
            return cmd_finish(args, root, now, home)
        if args.command == "history":
            return cmd_history(args, root, home)
        if args.command == "watch":
            return cmd_watch(args, root, home)
        return cmd_compare(args, root, rng)
    except KataError as error:
        print(f"kata: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nkata: interrupted; grading processes stopped", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"kata: error: {error}", file=sys.stderr)
        return 2


def entrypoint() -> None:
    """Console-script entry point."""
    raise SystemExit(main(sys.argv[1:]))


if __name__ == "__main__":
    entrypoint()
