"""`python -m kata.soak ID [--runs N] [--hogs H]`: do the verdicts hold on a busy machine?

Grades the kata's reference and every other correct implementation (``tests/alternatives/<id>``)
`runs` times with fresh seeds, while `hogs` busy-looping processes compete for the CPUs, and
prints the false failures per check (a check a correct solution did not pass) and the grade times.
A correct solution must pass every time: any false failure is a defect of the kata or the grader.
The reference is held to every check; an alternative, written for clarity rather than speed, to
the correctness checks (a check it runs out of time on is charged to the cost rule and counted
apart, as "too slow").
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kata import catalog
from kata.catalog import ROOT, Kata
from kata.errors import KataError
from kata.grade import grade
from kata.grading import Check
from kata.sandbox import DEFAULT_LIMITS, Limits

HOG = "while True: pass"
Spawn = Callable[[], subprocess.Popen[bytes]]


def spawn_hog() -> subprocess.Popen[bytes]:
    """A process that keeps one CPU busy until it is killed."""
    return subprocess.Popen(
        [sys.executable, "-c", HOG], stdin=subprocess.DEVNULL, start_new_session=True
    )


@contextmanager
def busy(hogs: int, spawn: Spawn = spawn_hog) -> Iterator[None]:
    """`hogs` busy-looping processes for the duration of the block; all killed at its end."""
    procs = [spawn() for _ in range(hogs)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


@dataclass
class Tally:
    """What the soak found for one solution."""

    label: str
    strict: bool
    """Held to every check (the reference) or to the correctness checks only."""
    grades: int = 0
    times: list[float] = field(default_factory=list)
    false_failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    """Check name -> (seed, first line of the message) of each grade it did not pass in."""
    too_slow: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[tuple[int, str]] = field(default_factory=list)
    """(seed, message) of grades that could not grade at all."""

    @property
    def failures(self) -> int:
        return sum(len(v) for v in self.false_failures.values()) + len(self.errors)

    def counts(self, check: Check) -> bool:
        """Whether `check` not passing is a false failure for this solution."""
        if check.passed:
            return False
        if self.strict:
            return True
        return check.kind == "correctness"


def soak(
    kata: Kata,
    *,
    runs: int,
    limits: Limits = DEFAULT_LIMITS,
    rng: random.Random | None = None,
    on_grade: Callable[[Tally, int, float], None] = lambda tally, seed, seconds: None,
    clock: Callable[[], float] = time.monotonic,
) -> list[Tally]:
    """Grade the reference and each alternative `runs` times with fresh seeds (no quality checks,
    which do not depend on time). Returns one tally per solution. O(runs * solutions) grades."""
    rng = rng or random.Random()
    solutions = [(kata.reference, "reference", True)] + [
        (path, str(path.relative_to(kata.root)), False) for path in kata.alternatives
    ]
    tallies = [Tally(label, strict) for _, label, strict in solutions]
    for _ in range(runs):
        seed = rng.randrange(10**6)
        for (path, _, _), tally in zip(solutions, tallies, strict=True):
            start = clock()
            report = grade(kata, path, seed=seed, limits=limits, check_quality=False)
            seconds = clock() - start
            tally.grades += 1
            tally.times.append(seconds)
            if report.error:
                tally.errors.append((seed, report.error.splitlines()[0]))
            for check in report.checks:
                if tally.counts(check):
                    first = check.message.splitlines()[0] if check.message else check.status
                    tally.false_failures.setdefault(check.name, []).append((seed, first))
                elif check.timed_out:
                    tally.too_slow[check.name] += 1
            on_grade(tally, seed, seconds)
    return tallies


def describe(tally: Tally) -> list[str]:
    """The tally as report lines."""
    times = tally.times or [0.0]
    held = "every check" if tally.strict else "correctness checks"
    lines = [
        f"{tally.label} ({held}): {tally.grades} grades, {tally.failures} false failures; "
        f"grade time median {statistics.median(times):.1f} s, max {max(times):.1f} s"
    ]
    for name, seen in sorted(tally.false_failures.items(), key=lambda kv: -len(kv[1])):
        seeds = ", ".join(str(seed) for seed, _ in seen[:5])
        lines.append(f"  {len(seen)}/{tally.grades} {name} (seeds {seeds}): {seen[0][1][:160]}")
    for seed, message in tally.errors:
        lines.append(f"  could not grade (seed {seed}): {message[:160]}")
    for name, count in sorted(tally.too_slow.items()):
        lines.append(f"  too slow, charged to the cost rule: {count}/{tally.grades} {name}")
    return lines


def main(argv: Sequence[str] | None = None, *, root: Path = ROOT, spawn: Spawn = spawn_hog) -> int:
    """Soak one kata; exit 0 when no correct solution failed any check it is held to."""
    parser = argparse.ArgumentParser(
        prog="python -m kata.soak",
        description="Grade the reference and the alternatives repeatedly on a busy machine.",
    )
    parser.add_argument("kata", metavar="ID")
    parser.add_argument("--runs", type=int, default=5, help="grades per solution (default 5)")
    parser.add_argument("--hogs", type=int, default=4, help="busy-looping processes (default 4)")
    parser.add_argument("--seed", type=int, help="seed of the seeds (default: random, printed)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.hogs < 0:
        parser.error("--runs must be >= 1 and --hogs >= 0")
    try:
        kata = catalog.load_kata(args.kata, root)
    except KataError as error:
        print(f"kata.soak: error: {error}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    print(f"soaking {kata.id}: {args.runs} runs, {args.hogs} busy processes, --seed {seed}")

    def progress(tally: Tally, grade_seed: int, seconds: float) -> None:
        print(
            f"  {tally.label}: seed {grade_seed}, {seconds:.1f} s, "
            f"{tally.failures} false failures so far",
            flush=True,
        )

    try:
        with busy(args.hogs, spawn):
            tallies = soak(kata, runs=args.runs, rng=random.Random(seed), on_grade=progress)
    except KeyboardInterrupt:
        print("kata.soak: interrupted", file=sys.stderr)
        return 130
    for tally in tallies:
        for line in describe(tally):
            print(line)
    return 1 if any(t.failures for t in tallies) else 0


if __name__ == "__main__":
    raise SystemExit(main())
