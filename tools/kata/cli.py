"""The `kata` command: a thin layer over the library that turns errors into messages and exit codes.

Exit codes: 0 every check passed; 1 some check failed; 2 error (unknown kata, unloadable solution,
bad usage); 130 interrupted.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

from kata import catalog, workspace
from kata.catalog import ROOT, Kata
from kata.errors import KataError, SolutionError
from kata.grade import PROFILES, grade
from kata.grading import Check
from kata.report import Printer, Report
from kata.sandbox import Limits

PROFILE_LIMITS = {
    "quick": Limits(check_seconds=10, run_seconds=120),
    "thorough": Limits(check_seconds=120, run_seconds=1200),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kata", description="Practise interview katas and grade them locally."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("list", help="list the katas")

    start = sub.add_parser("start", help="copy a kata's stub and starter tests into work/ID/")
    start.add_argument("kata", metavar="ID")
    start.add_argument("--force", action="store_true", help="move existing work to a backup first")
    start.add_argument(
        "--timed", action="store_true", help="record the start time for grade to show"
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
    _limit_options(grade_cmd)

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


def cmd_start(args: argparse.Namespace, root: Path) -> int:
    kata = catalog.load_kata(args.kata, root)
    target, backup = workspace.start(kata, force=args.force, timed=args.timed)
    if backup is not None:
        print(f"moved your previous work to {backup}")
    print(f"started {kata.id} in {target}")
    print(f"  statement: {target / 'README.md'}")
    print(f"  implement: {target / 'solution.py'}")
    print(f"  your tests: {target / 'test_solution.py'}")
    print(f"then: kata grade {kata.id}")
    return 0


def cmd_grade(args: argparse.Namespace, root: Path, rng: random.Random) -> int:
    kata = catalog.load_kata(args.kata, root)
    if args.level is not None and not 1 <= args.level <= max(len(kata.levels), 1):
        raise KataError(f"--level must be between 1 and {len(kata.levels)} for {kata.id}")
    solution, label = _solution(kata, args)
    tests = args.tests
    default_tests = workspace.workspace(kata) / "test_solution.py"
    if tests is None and not args.no_tests and not args.reference and args.solution is None:
        tests = default_tests if default_tests.is_file() else None
    if tests is not None and not tests.is_file():
        raise SolutionError(f"{tests}: no such test file")
    seed = args.seed if args.seed is not None else rng.randrange(10**6)
    printer = Printer(kata)
    target = " --reference" if args.reference else (f" --solution {label}" if args.solution else "")
    partial = Report(
        kata=kata, solution=label, seed=seed, profile=args.profile, level=args.level, target=target
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
            level=args.level,
            limits=_limits(args, args.profile),
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
        report.elapsed_minutes = workspace.elapsed_minutes(kata)
    printer.footer(report)
    if args.json:
        report.write_json(args.json)
        print(f"wrote {args.json}")
    return report.exit_code


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
    argv: Sequence[str] | None = None, *, root: Path = ROOT, rng: random.Random | None = None
) -> int:
    """Run the `kata` command line; returns the exit code instead of exiting."""
    args = _parser().parse_args(argv)
    rng = rng or random.Random()
    try:
        if args.command == "list":
            return cmd_list(root)
        if args.command == "start":
            return cmd_start(args, root)
        if args.command == "grade":
            return cmd_grade(args, root, rng)
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
