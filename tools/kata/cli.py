"""The `kata` command: parse, hand over to one `kata.session` function, turn errors into exit codes.

Exit codes: 0 every check passed; 1 some check failed; 2 error (bad usage or input, unknown kata,
unloadable solution); 130 interrupted (Ctrl-C, SIGTERM or SIGHUP: every process stopped).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kata import history, render, session
from kata.catalog import ROOT
from kata.errors import KataError
from kata.grade import PROFILES
from kata.session import Context, GradeOptions
from kata.workspace import Now, utc_now

_HELP = {
    "list": "list the katas",
    "start": "copy a kata into work/ID/",
    "grade": "grade a solution against the hidden suite",
    "compare": "set a solution beside the reference",
    "watch": "grade again at each save",
    "status": "the clock, the levels and the last grade",
    "finish": "end the interview: its scorecard",
    "hint": "one planted bug your tests missed (counted)",
    "history": "your grades and attempts, and the trend",
}
_FLAGS = (
    ("start", "--force", "move the old workspace to a backup"),
    ("start", "--timed", "start the clock"),
    ("start", "--interview", "timed, one level at a time"),
    ("grade", "--reference", "grade the reference"),
    ("grade", "--no-tests", "do not grade your tests"),
    ("grade", "--strict-quality", "ruff and mypy findings fail the grade"),
    ("grade", "--hints", "show every planted bug your tests missed (counted as hints)"),
    ("grade", "--no-history", "record nothing (and keep no runs of your tests)"),
    ("grade", "--fresh", "run your tests on the planted bugs again, even if unchanged"),
    ("grade watch", "--no-quality", "skip ruff and mypy"),
    ("compare", "--show-reference", "print the reference"),
    ("watch", "--poll", "poll instead of file events"),
    ("history", "--json", "print it all as JSON"),
)


def _options(command: argparse.ArgumentParser, name: str) -> None:
    """The options of command `name` beyond its flags."""
    add = command.add_argument
    if name in ("grade", "compare", "watch"):
        add("--seed", type=int, help="Hypothesis seed (default: a new one, printed)")
    if name in ("grade", "compare"):
        add("--solution", type=Path, metavar="FILE", help="the .py file to grade")
        add("--json", type=Path, metavar="OUT", dest="json_out", help="write the report here")
        add("--check-timeout", type=float, metavar="S", help="seconds per check")
        add("--run-timeout", type=float, metavar="S", help="seconds for the grading run")
        add("--memory-mb", type=int, metavar="MB", help="memory limit of the grading process")
    if name == "grade":
        add("--level", type=int, metavar="N", help="grade levels 1..N only")
        add("--tests", type=Path, metavar="FILE", help="your tests (default: the workspace's)")
    if name in ("grade", "watch"):
        add("--profile", choices=PROFILES, default="quick")
    if name == "watch":
        add("--debounce", type=int, default=400, metavar="MS")
    if name != "list":
        add("kata", metavar="ID", nargs="?" if name in ("status", "finish", "history") else None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kata", description="Practise katas, graded locally.")
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, text in _HELP.items():
        command = sub.add_parser(name, help=text)
        for flag, explained in ((f, h) for names, f, h in _FLAGS if name in names.split()):
            command.add_argument(flag, action="store_true", help=explained)
        _options(command, name)
    return parser


def _dispatch(args: argparse.Namespace, ctx: Context) -> int:
    """Hand the parsed command to its session function."""
    options = {k: v for k, v in vars(args).items() if k in GradeOptions.__dataclass_fields__}
    commands: dict[str, Callable[[], int]] = {
        "list": lambda: session.list_katas(ctx),
        "start": lambda: session.start(ctx, args.kata, args),
        "grade": lambda: session.grade(ctx, GradeOptions(**options)),
        "compare": lambda: session.compare(ctx, GradeOptions(**options)),
        "watch": lambda: session.watch(ctx, args.kata, args),
        "status": lambda: session.status(ctx, args.kata),
        "finish": lambda: session.finish(ctx, args.kata),
        "hint": lambda: session.hint(ctx, args.kata),
        "history": lambda: session.show_history(ctx, args.kata, as_json=args.json),
    }
    return commands[args.command]()


def main(
    argv: Sequence[str] | None = None,
    *,
    root: Path = ROOT,
    rng: random.Random | None = None,
    now: Now = utc_now,
    home: Path | None = None,
) -> int:
    """Run the `kata` command line with these side effects; the exit code, not an exit."""
    render.ascii_fallback(sys.stdout, sys.stderr)
    args = _parser().parse_args(argv)
    home = home if home is not None else history.home()
    ctx = Context(args.root or root, home, now, rng or random.Random())
    try:
        return _dispatch(args, ctx)
    except KeyboardInterrupt:
        print("\nkata: interrupted; grading processes stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("kata: error: the output was closed before everything was written", file=sys.stderr)
        return 2
    except (KataError, OSError) as error:
        print(f"kata: error: {error}", file=sys.stderr)
        return 2


def entrypoint() -> None:
    """Console-script entry point: SIGTERM and SIGHUP stop the command as Ctrl-C does, and so
    does SIGINT where the command was started with it ignored (a background job of a script)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    raise SystemExit(main(sys.argv[1:]))


if __name__ == "__main__":
    entrypoint()
