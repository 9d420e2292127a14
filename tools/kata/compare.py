"""`kata compare`: the learner's solution beside the reference, on checks, speed and code quality.

Speed is measured in rounds (see `kata.bench`) and a difference is called only when it stands out
of the noise of the same run: one side's lowest round above the other side's highest round, and
by more than a fixed threshold. The words depend only on the figures, never on which side they
belong to (`growth_verdict`, `speed_verdict`).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kata import quality
from kata.bench import PROBE_SECONDS
from kata.catalog import Kata
from kata.grade import grade
from kata.grading import ensure_python_file, sandbox_dirs
from kata.report import Report
from kata.sandbox import DEFAULT_LIMITS, Limits, Process, child_env, stop_all

GROWS = 2.0
"""A side grows with size (more than the other) only if its cost per operation rises at least this
much from the small to the large size in its lowest round, and that round is above every round of
the other side."""
SLOWER = 1.2
"""A side is slower only if its median time per operation is at least this many times the other
side's, and its fastest round is slower than the other side's slowest round."""
NOISE = "within the noise of this run"

SIDES = {"yours": ("yours", "yours"), "reference": ("the reference", "the reference's")}
"""How each side is named in a verdict: (subject, possessive)."""


@dataclass(frozen=True)
class Spread:
    """The median and the lowest and highest of a run's per-round figures."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, rounds: Sequence[float]) -> Spread:
        """The spread of `rounds` (not empty); O(n log n)."""
        return cls(statistics.median(rounds), min(rounds), max(rounds))


def _above(rounds: dict[str, Sequence[float]]) -> tuple[str, str] | None:
    """(higher side, other side) when one side's lowest round is above the other's highest."""
    (a, a_rounds), (b, b_rounds) = rounds.items()
    if min(a_rounds) > max(b_rounds):
        return a, b
    if min(b_rounds) > max(a_rounds):
        return b, a
    return None


def growth_verdict(yours: Sequence[float], reference: Sequence[float], grows: float = GROWS) -> str:
    """Words for two sides' per-round growth ratios (cost per operation, large / small size):
    "X grows with size more than Y" when X's lowest round is above Y's highest and at least
    `grows`; a small difference when the rounds are apart but X's lowest is under `grows`;
    otherwise within the noise of this run. Symmetric in the sides; O(n) in the rounds."""
    apart = _above({"yours": yours, "reference": reference})
    if apart is None:
        return NOISE
    high, low = apart
    lowest = min(yours if high == "yours" else reference)
    if lowest >= grows:
        return f"{SIDES[high][0]} grows with size more than {SIDES[low][0]}"
    return f"a small difference: {SIDES[high][1]} is higher in every round, but under {grows:g}x"


def speed_verdict(
    yours: Sequence[float], reference: Sequence[float], slower: float = SLOWER
) -> str:
    """Words for two sides' per-round seconds per operation at one size: "X is slower" when X's
    fastest round is slower than Y's slowest and X's median is at least `slower` times Y's; a
    small difference when the rounds are apart by less; otherwise within the noise of this run.
    Symmetric in the sides; O(n log n) in the rounds."""
    apart = _above({"yours": yours, "reference": reference})
    if apart is None:
        return NOISE
    high, _ = apart
    mine, theirs = (yours, reference) if high == "yours" else (reference, yours)
    if statistics.median(mine) >= slower * statistics.median(theirs):
        return f"{SIDES[high][0]} is slower"
    return f"a small difference: {SIDES[high][0]} is slower in every round, by under {slower:g}x"


@dataclass
class Side:
    """One solution's figures."""

    levels: dict[int, tuple[int, int]] = field(default_factory=dict)
    status: str = ""
    ruff: int | None = None
    mypy: int | None = None
    lines_of_code: int = 0
    first_findings: list[str] = field(default_factory=list)


@dataclass
class Probe:
    """One benchmark probe: each side's median seconds per operation at the small and the large
    size, and the per-round figures they come from (`rounds[side] = [small rounds, large rounds]`,
    aligned round by round; empty for a side that raised)."""

    name: str
    yours: list[float | None]
    reference: list[float | None]
    error: str = ""
    rounds: dict[str, list[list[float]]] = field(default_factory=dict)

    def _rounds(self, side: str) -> list[list[float]]:
        rounds = self.rounds.get(side, [])
        return rounds if len(rounds) == 2 and all(rounds) else []

    def growth_rounds(self, side: str) -> list[float]:
        """Per-round ratio of the large size's cost to the small size's ([] if not measured)."""
        rounds = self._rounds(side)
        return (
            [big / small for small, big in zip(*rounds, strict=True) if small > 0] if rounds else []
        )

    def growth(self, side: str) -> float | None:
        """Median growth ratio of `side` ("yours" or "reference"), or None."""
        rounds = self.growth_rounds(side)
        return statistics.median(rounds) if rounds else None

    def measured(self) -> bool:
        """Whether both sides have figures at both sizes."""
        return bool(self._rounds("yours") and self._rounds("reference"))

    def speed_verdicts(self) -> list[str]:
        """`speed_verdict` at the small and at the large size ([] if not measured)."""
        if not self.measured():
            return []
        return [
            speed_verdict(y, r)
            for y, r in zip(self.rounds["yours"], self.rounds["reference"], strict=True)
        ]

    def ratio_rounds(self, index: int) -> list[float]:
        """Per-round ratio of yours to the reference's time at size `index` (0 small, 1 large)."""
        if not self.measured():
            return []
        pairs = zip(self.rounds["yours"][index], self.rounds["reference"][index], strict=True)
        return [y / r for y, r in pairs if r > 0]

    def growth_words(self) -> str:
        """`growth_verdict` of the two sides ("" if not measured)."""
        if not self.measured():
            return ""
        return growth_verdict(self.growth_rounds("yours"), self.growth_rounds("reference"))

    def summary(self) -> dict[str, Any]:
        """The spreads and verdicts, as written to JSON beside the per-round figures."""
        if not self.measured():
            return {"spread": None, "verdicts": None}
        spread = {
            side: [asdict(Spread.of(r)) for r in self.rounds[side]]
            for side in ("yours", "reference")
        }
        return {
            "spread": {
                **spread,
                "ratio": [asdict(Spread.of(self.ratio_rounds(i))) for i in (0, 1)],
                "growth": {
                    s: asdict(Spread.of(self.growth_rounds(s))) for s in ("yours", "reference")
                },
            },
            "verdicts": {"speed": self.speed_verdicts(), "growth": self.growth_words()},
        }


@dataclass
class Comparison:
    """Everything `kata compare` measured."""

    kata: str
    solution: str
    seed: int
    yours: Side
    reference: Side
    sizes: list[int] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    reference_path: str = ""
    notes_path: str = ""
    reference_source: str = ""
    benchmark_error: str = ""
    error: str = ""
    probe_seconds: float = PROBE_SECONDS
    phases: dict[str, float] = field(default_factory=dict)
    """Wall seconds: grades and code quality (side by side), then the benchmark (the rest of its
    building, and its measuring), and in all."""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("reference_source")
        data["thresholds"] = {"grows": GROWS, "slower": SLOWER}
        for probe, entry in zip(self.probes, data["probes"], strict=True):
            entry["growth"] = {
                "yours": probe.growth("yours"),
                "reference": probe.growth("reference"),
            }
            entry.update(probe.summary())
        return data

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")


def lines_of_code(path: Path) -> int:
    """Lines that are neither blank nor only a comment."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def _quality(path: Path) -> tuple[quality.Findings, quality.Findings]:
    return quality.ruff(path), quality.mypy(path)


def _side(report: Report, path: Path, findings: tuple[quality.Findings, quality.Findings]) -> Side:
    side = Side(status=report.status, lines_of_code=lines_of_code(path))
    for level in sorted({c.level for c in report.checks}):
        mine = [c for c in report.checks if c.level == level]
        side.levels[level] = (sum(c.passed for c in mine), len(mine))
    lint, types = findings
    side.ruff, side.mypy = lint.count, types.count
    side.first_findings = [*lint.lines[:3], *types.lines[:3]]
    return side


class BenchmarkRun:
    """The kata's benchmark probes on both solutions in one isolated process (`kata.bench`).

    The process builds every probe's state as soon as it starts and measures only once `measure`
    is called, so the building overlaps the grades while the measuring has the machine to itself.
    """

    def __init__(
        self,
        kata: Kata,
        solution: Path,
        limits: Limits,
        probe_seconds: float,
        dirs: tuple[Path, Path],
    ) -> None:
        workdir, private = dirs
        self.limits = limits
        self.gate = private / "start"
        self.out = private / "bench.json"
        copy = workdir / "solution.py"
        copy.write_bytes(solution.read_bytes())
        argv = [sys.executable, "-m", "kata.bench", str(kata.benchmark), str(kata.reference)]
        argv += [str(copy), str(self.out), "--probe-seconds", f"{probe_seconds:g}"]
        argv += ["--start-when", str(self.gate)]
        self.process = Process(argv, workdir, limits, child_env())

    def measure(self) -> tuple[dict[str, Any], str]:
        """Let the process measure; its result, or {} and why there is none. Waits at most
        ``limits.run_seconds`` from now."""
        self.gate.touch()
        code = self.process.wait(self.limits.run_seconds)
        self.process.kill()
        if code is None:
            return {}, f"the benchmark did not finish within {self.limits.run_seconds:g} s"
        if not self.out.exists():
            tail = self.process.output_tail().strip().splitlines()[-1:] or [""]
            return {}, f"the benchmark process {self.process.describe_exit()}: {tail[0]}"
        return json.loads(self.out.read_text(encoding="utf-8")), ""

    @classmethod
    @contextmanager
    def started(
        cls, kata: Kata, solution: Path, limits: Limits, probe_seconds: float
    ) -> Iterator[BenchmarkRun]:
        """A started benchmark process, killed (measured or not) when the block ends."""
        with sandbox_dirs() as dirs:
            run = cls(kata, solution, limits, probe_seconds, dirs)
            try:
                yield run
            finally:
                run.process.kill()


def compare(
    kata: Kata,
    solution: Path,
    *,
    label: str,
    seed: int,
    limits: Limits = DEFAULT_LIMITS,
    clock: Callable[[], float] = time.monotonic,
    probe_seconds: float = PROBE_SECONDS,
) -> Comparison:
    """Grade both solutions, count ruff and mypy findings on both, and time both on the kata's
    benchmark. The two grades and the four quality runs go side by side while the benchmark
    process builds its state; the benchmark measures once they are done (at most
    `probe_seconds` per probe, plus its minimum rounds), and only if the learner's file loaded.
    Each grade is exactly `kata grade` without quality checks, under `limits`.
    Raises SolutionError if `solution` is not a readable .py file."""
    ensure_python_file(solution)
    start = clock()
    bench_limits = Limits(
        check_seconds=limits.run_seconds, run_seconds=limits.run_seconds, memory_mb=limits.memory_mb
    )
    try:
        with (
            (
                BenchmarkRun.started(kata, solution, bench_limits, probe_seconds)
                if kata.benchmark.is_file()
                else nullcontext()
            ) as bench,
            ThreadPoolExecutor(max_workers=4) as pool,
        ):
            result, mine = _grade_both(
                pool, kata, (solution, label), seed=seed, limits=limits, clock=clock
            )
            result.probe_seconds = probe_seconds
            result.phases["grades and code quality"] = clock() - start
            if mine.error:
                result.error = mine.error
            elif bench is None:
                result.benchmark_error = f"{kata.id} has no benchmark"
            else:
                phase = clock()
                data, result.benchmark_error = bench.measure()
                result.phases["benchmark, after the grades"] = clock() - phase
                _add_probes(result, data)
    except BaseException:
        stop_all()  # Ctrl-C: the grades in other threads end now, not when they are done
        raise
    result.phases["total"] = clock() - start
    return result


def _grade_both(
    pool: ThreadPoolExecutor,
    kata: Kata,
    solution: tuple[Path, str],
    *,
    seed: int,
    limits: Limits,
    clock: Callable[[], float],
) -> tuple[Comparison, Report]:
    """Grade `solution` (path, label) and the reference and check both files' quality, side
    by side in `pool`; the comparison so far, and the grade of `solution`."""
    path, label = solution
    graded = [
        pool.submit(
            grade,
            kata,
            file,
            label=name,
            seed=seed,
            limits=limits,
            check_quality=False,
            clock=clock,
        )
        for file, name in (solution, (kata.reference, "reference"))
    ]
    checked = [pool.submit(_quality, file) for file in (path, kata.reference)]
    mine, theirs = (future.result() for future in graded)
    result = Comparison(
        kata=kata.id,
        solution=label,
        seed=seed,
        yours=_side(mine, path, checked[0].result()),
        reference=_side(theirs, kata.reference, checked[1].result()),
        reference_path=str(kata.reference),
        notes_path=str(kata.notes),
        reference_source=kata.reference.read_text(encoding="utf-8"),
    )
    return result, mine


def _add_probes(result: Comparison, bench: dict[str, Any]) -> None:
    result.sizes = list(bench.get("sizes", []))
    for name, entry in bench.get("probes", {}).items():
        rounds = entry.get("rounds", {})
        result.probes.append(
            Probe(
                name,
                entry["solution"],
                entry["reference"],
                entry.get("error", ""),
                {"yours": rounds.get("solution", []), "reference": rounds.get("reference", [])},
            )
        )


def _unit(seconds: float) -> tuple[str, float]:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return unit, scale
    return "ns", 1e-9


def _number(value: float) -> str:
    """Three significant figures, without exponent for the magnitudes printed here."""
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    unit, scale = _unit(seconds)
    return f"{_number(seconds / scale)} {unit}"


def _spread_time(rounds: Sequence[float]) -> str:
    """``495 ns (414-519)``: the median, then the lowest and highest round in the median's unit."""
    s = Spread.of(rounds)
    unit, scale = _unit(s.median)
    low, high = _number(s.low / scale), _number(s.high / scale)
    return f"{_number(s.median / scale)} {unit} ({low}-{high})"


def _spread_ratio(rounds: Sequence[float]) -> str:
    s = Spread.of(rounds)
    return f"{_number(s.median)}x ({_number(s.low)}-{_number(s.high)}x)"


ROW = "    {:>9}  {:<22} {:<22} {:>9}  {}"
"""A row of the speed table: size, yours, the reference's, yours / reference's, verdict."""


def _print_probe(probe: Probe, sizes: list[int], out: Callable[[str], None]) -> None:
    if not probe.measured():
        out(f"  {probe.name}")
        for i, size in enumerate(sizes):
            out(ROW.format(f"{size:,}", _time(probe.yours[i]), _time(probe.reference[i]), "", ""))
    else:
        rounds = probe.rounds
        out(f"  {probe.name}, {len(rounds['yours'][0])} rounds")
        for i, (size, words) in enumerate(zip(sizes, probe.speed_verdicts(), strict=True)):
            ratio = statistics.median(rounds["yours"][i]) / statistics.median(
                rounds["reference"][i]
            )
            mine, theirs = _spread_time(rounds["yours"][i]), _spread_time(rounds["reference"][i])
            out(ROW.format(f"{size:,}", mine, theirs, f"{_number(ratio)}x", words))
        growth = [_spread_ratio(probe.growth_rounds(side)) for side in ("yours", "reference")]
        out(ROW.format("growth", *growth, "", probe.growth_words()))
    if probe.error:
        out(f"    error: {probe.error}")


def print_comparison(
    result: Comparison, show_reference: bool = False, stream: TextIO | None = None
) -> None:
    """Write the comparison as aligned tables."""
    stream = stream or sys.stdout

    def out(text: str = "") -> None:
        print(text, file=stream)

    out(f"Compare {result.kata}: {result.solution} vs the reference (seed {result.seed})")
    if result.error:
        out(f"error: your solution could not be graded: {result.error}")
    out("\nChecks passed          yours      reference")
    for level in sorted(set(result.yours.levels) | set(result.reference.levels)):
        y = result.yours.levels.get(level)
        r = result.reference.levels.get(level)
        out(
            f"  Level {level:<14} {f'{y[0]}/{y[1]}' if y else '-':<10} "
            f"{f'{r[0]}/{r[1]}' if r else '-'}"
        )
    if result.probes:
        small, large = result.sizes
        out(
            "\nSpeed, time per operation: the median of the rounds (the lowest and highest round"
            "\nin brackets). Both solutions run in one process, in alternation, so machine load"
            f"\nhits both alike. Growth is the cost per operation at size {large:,} over the cost"
            f"\nat {small:,}. A difference is named only when every round of one side is beyond"
            f"\nevery round of the other: slower at {SLOWER:g}x or more, growing with size at"
            f"\n{GROWS:g}x or more."
        )
        out(ROW.format("size", "yours", "reference", "yours/ref", "verdict"))
        for probe in result.probes:
            _print_probe(probe, result.sizes, out)
    elif result.benchmark_error:
        out(f"\nSpeed: not measured ({result.benchmark_error})")
    out("\nCode quality           yours      reference")
    for label, y_val, r_val in (
        ("ruff findings", result.yours.ruff, result.reference.ruff),
        ("mypy --strict errors", result.yours.mypy, result.reference.mypy),
        ("lines of code", result.yours.lines_of_code, result.reference.lines_of_code),
    ):
        out(
            f"  {label:<20} {'-' if y_val is None else y_val:<10} {'-' if r_val is None else r_val}"
        )
    for line in result.yours.first_findings:
        out(f"    {line}")
    out(f"\nReference: {result.reference_path}\nNotes:     {result.notes_path}")
    if show_reference:
        out("\n" + result.reference_source)
    else:
        out("(print the reference's source with --show-reference; it is a spoiler)")
