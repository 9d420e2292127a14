"""The `kata` command: parse, hand over to one `kata.session` function, turn errors into exit codes.

Exit codes: 0 every check passed; 1 some check failed; 2 error (bad usage or input, unknown kata,
unloadable solution); 130 interrupted (Ctrl-C, SIGTERM or SIGHUP: every process stopped).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from kata import history, render, session
from kata.catalog import ROOT
from kata.errors import KataError
from kata.grade import PROFILES
from kata.session import Context, GradeOptions
from kata.workspace import Now, utc_now


def _number(kind: Callable[[str], Any], low: float, high: float = math.inf) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (low <= value <= high) or (isinstance(value, float) and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"{text} is out of range ({low:g} to {high:g})")
        return value

    return parse


_SECONDS, _SEED = _number(float, 0.1, 86400), _number(int, *session.SEED_RANGE)
_ARGS: dict[str, list[tuple[tuple[str, ...], dict[str, Any]]]] = {
    "list": [],
    "start": [(("kata",), {"metavar": "ID"}), (("--force",), {"action": "store_true"}),
              (("--timed",), {"action": "store_true"}), (("--interview",), {"action": "store_true"})],
    "grade": [(("kata",), {"metavar": "ID"}), (("--solution",), {"type": Path, "metavar": "FILE"}),
              (("--reference",), {"action": "store_true"}), (("--tests",), {"type": Path, "metavar": "FILE"}),
              (("--no-tests",), {"action": "store_true"}), (("--json",), {"type": Path, "metavar": "OUT", "dest": "json_out"}),
              (("--seed",), {"type": _SEED}), (("--level",), {"type": _number(int, 1), "metavar": "N"}),
              (("--profile",), {"choices": PROFILES, "default": "quick"}),
              (("--strict-quality",), {"action": "store_true"}), (("--no-quality",), {"action": "store_true"}),
              (("--no-history",), {"action": "store_true"}),
              (("--hints",), {"action": "store_true", "help": "show every missed planted bug (counted as hints)"}),
              (("--check-timeout",), {"type": _SECONDS, "metavar": "S"}),
              (("--run-timeout",), {"type": _SECONDS, "metavar": "S"}),
              (("--memory-mb",), {"type": _number(int, 1, 2**20), "metavar": "MB"})],
    "status": [(("kata",), {"metavar": "ID", "nargs": "?"})],
    "finish": [(("kata",), {"metavar": "ID", "nargs": "?"})],
    "hint": [(("kata",), {"metavar": "ID"})],
    "history": [(("kata",), {"metavar": "ID", "nargs": "?"}), (("--json",), {"action": "store_true"})],
    "watch": [(("kata",), {"metavar": "ID"}), (("--no-quality",), {"action": "store_true"}),
              (("--seed",), {"type": _SEED}), (("--profile",), {"choices": PROFILES, "default": "quick"}),
              (("--poll",), {"action": "store_true"}), (("--debounce",), {"type": int, "default": 400, "metavar": "MS"})],
    "compare": [(("kata",), {"metavar": "ID"}), (("--solution",), {"type": Path, "metavar": "FILE"}),
                (("--json",), {"type": Path, "metavar": "OUT", "dest": "json_out"}), (("--seed",), {"type": _SEED}),
                (("--show-reference",), {"action": "store_true"}),
                (("--check-timeout",), {"type": _SECONDS, "metavar": "S"}),
                (("--run-timeout",), {"type": _SECONDS, "metavar": "S"}),
                (("--memory-mb",), {"type": _number(int, 1, 2**20), "metavar": "MB"})],
}  # fmt: skip
_HELP = {
    "list": "list the katas", "start": "copy a kata's stub and starter tests into work/ID/",
    "grade": "grade a solution against the hidden suite",
    "status": "show the clock, levels and last grade of a timed start or interview",
    "finish": "end the interview now and show its scorecard",
    "hint": "show one planted bug your tests missed (counted)",
    "history": "your grades and interview attempts, and the trend",
    "watch": "grade again each time your files are saved",
    "compare": "compare a solution with the reference",
}  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kata", description="Practise interview katas and grade them locally.")
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, arguments in _ARGS.items():
        command = sub.add_parser(name, help=_HELP[name])
        for flags, settings in arguments:
            command.add_argument(*flags, **settings)
    return parser  # fmt: skip


def _dispatch(args: argparse.Namespace, ctx: Context) -> int:
    options = {k: v for k, v in vars(args).items() if k in GradeOptions.__dataclass_fields__}
    match args.command:
        case "list":
            return session.list_katas(ctx)
        case "start":
            mode = "interview" if args.interview else "timed" if args.timed else "plain"
            return session.start(ctx, args.kata, mode=mode, force=args.force)
        case "grade":
            return session.grade(ctx, GradeOptions(**options))
        case "status":
            return session.status(ctx, args.kata)
        case "finish":
            return session.finish(ctx, args.kata)
        case "hint":
            return session.hint(ctx, args.kata)
        case "history":
            return session.show_history(ctx, args.kata, as_json=args.json)
        case "watch":
            return session.watch(ctx, args.kata, no_quality=args.no_quality, seed=args.seed,
                                 profile=args.profile, poll=args.poll, debounce_ms=args.debounce)
    return session.compare(ctx, args.kata, GradeOptions(**options), show_reference=args.show_reference)  # fmt: skip


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(
    argv: Sequence[str] | None = None,
    *,
    root: Path = ROOT,
    rng: random.Random | None = None,
    now: Now = utc_now,
    home: Path | None = None,
) -> int:
    """Run the `kata` command line; returns the exit code instead of exiting. `now` is the
    clock of timed starts and interviews; `home` the folder of the history (default KATA_HOME)."""
    render.ascii_fallback(sys.stdout, sys.stderr)
    args = _parser().parse_args(argv)
    ctx = Context(args.root or root, home if home is not None else history.home(), now, rng or random.Random())
    try:
        return _dispatch(args, ctx)
    except KataError as error:
        print(f"kata: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nkata: interrupted; grading processes stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("kata: error: the output was closed before everything was written", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"kata: error: {error}", file=sys.stderr)
        return 2  # fmt: skip


def entrypoint() -> None:
    """Console-script entry point: SIGTERM and SIGHUP stop the command as Ctrl-C does."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    raise SystemExit(main(sys.argv[1:]))


if __name__ == "__main__":
    entrypoint()
