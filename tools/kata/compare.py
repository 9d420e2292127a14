"""`kata compare`: the learner's solution beside the reference, on checks, speed and code quality."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from kata import quality
from kata.catalog import Kata
from kata.grade import grade
from kata.grading import sandbox_dirs
from kata.report import Report
from kata.sandbox import Limits, Process, child_env

FLAT = 2.0
"""A probe whose per-operation cost grows less than this from the small to the large size is flat."""


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
    """Seconds per operation of one benchmark probe at the small and large size, for each side."""

    name: str
    yours: list[float | None]
    reference: list[float | None]
    error: str = ""

    def growth(self, costs: list[float | None]) -> float | None:
        small, large = costs
        return large / small if small and large else None


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

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("reference_source")
        for probe in data["probes"]:
            mine = Probe(**probe)
            probe["growth"] = {
                "yours": mine.growth(mine.yours),
                "reference": mine.growth(mine.reference),
            }
        return data

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")


def lines_of_code(path: Path) -> int:
    """Lines that are neither blank nor only a comment."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def _side(report: Report, path: Path, with_quality: bool) -> Side:
    side = Side(status=report.status, lines_of_code=lines_of_code(path))
    for level in sorted({c.level for c in report.checks}):
        mine = [c for c in report.checks if c.level == level]
        side.levels[level] = (sum(c.passed for c in mine), len(mine))
    if with_quality:
        lint, types = quality.ruff(path), quality.mypy(path)
        side.ruff, side.mypy = lint.count, types.count
        side.first_findings = [*lint.lines[:3], *types.lines[:3]]
    return side


def run_benchmark(kata: Kata, solution: Path, limits: Limits) -> tuple[dict[str, Any], str]:
    """The kata's benchmark probes on both solutions, in one isolated process."""
    if not kata.benchmark.is_file():
        return {}, f"{kata.id} has no benchmark"
    with sandbox_dirs() as (workdir, private):
        out = private / "bench.json"
        copy = workdir / "solution.py"
        copy.write_bytes(solution.read_bytes())
        proc = Process(
            [
                sys.executable,
                "-m",
                "kata.bench",
                str(kata.benchmark),
                str(kata.reference),
                str(copy),
                str(out),
            ],
            workdir,
            limits,
            child_env(),
        )
        code = proc.wait(limits.run_seconds)
        proc.kill()
        if code is None:
            return {}, f"the benchmark did not finish within {limits.run_seconds:g} s"
        if not out.exists():
            tail = proc.output_tail().strip().splitlines()[-1:] or [""]
            return {}, f"the benchmark process {proc.describe_exit()}: {tail[0]}"
        return json.loads(out.read_text(encoding="utf-8")), ""


def compare(
    kata: Kata,
    solution: Path,
    *,
    label: str,
    seed: int,
    limits: Limits = Limits(),
    clock: Callable[[], float] = time.monotonic,
) -> Comparison:
    """Grade both solutions, time both on the kata's benchmark, and measure the learner's code."""
    mine = grade(
        kata, solution, label=label, seed=seed, limits=limits, check_quality=False, clock=clock
    )
    theirs = grade(
        kata,
        kata.reference,
        label="reference",
        seed=seed,
        limits=limits,
        check_quality=False,
        clock=clock,
    )
    result = Comparison(
        kata=kata.id,
        solution=label,
        seed=seed,
        yours=_side(mine, solution, with_quality=True),
        reference=_side(theirs, kata.reference, with_quality=True),
        reference_path=str(kata.reference),
        notes_path=str(kata.notes),
        reference_source=kata.reference.read_text(encoding="utf-8"),
    )
    if mine.error:
        result.error = mine.error
        return result
    bench, result.benchmark_error = run_benchmark(
        kata,
        solution,
        Limits(
            check_seconds=limits.run_seconds,
            run_seconds=limits.run_seconds,
            memory_mb=limits.memory_mb,
        ),
    )
    result.sizes = list(bench.get("sizes", []))
    for name, entry in bench.get("probes", {}).items():
        result.probes.append(
            Probe(name, entry["solution"], entry["reference"], entry.get("error", ""))
        )
    return result


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.2f} {unit}"
    return f"{seconds / 1e-9:.0f} ns"


def _growth_words(probe: Probe, sizes: list[int]) -> str:
    yours, ref = probe.growth(probe.yours), probe.growth(probe.reference)
    if yours is None or ref is None:
        return ""
    span = f"from {sizes[0]:,} to {sizes[1]:,}"
    if yours >= FLAT and ref < FLAT:
        return f"yours grows with size ({yours:.1f}x {span}), the reference does not ({ref:.1f}x)"
    if yours < FLAT and ref < FLAT:
        return f"both flat {span} (yours {yours:.1f}x, reference {ref:.1f}x)"
    return f"yours {yours:.1f}x {span}, reference {ref:.1f}x"


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
            f"  Level {level:<14} {f'{y[0]}/{y[1]}' if y else '-':<10} {f'{r[0]}/{r[1]}' if r else '-'}"
        )
    if result.probes:
        small, large = result.sizes
        out(
            "\nSpeed, time per operation (both measured side by side in one process; lower is better)"
        )
        out(f"  {'probe':<34} {'size':>8} {'yours':>10} {'reference':>10}  ratio")
        for probe in result.probes:
            for i, size in enumerate((small, large)):
                mine, ref = probe.yours[i], probe.reference[i]
                ratio = f"{mine / ref:.2f}x the reference's time" if mine and ref else ""
                out(
                    f"  {probe.name if i == 0 else '':<34} {size:>8,} {_time(mine):>10} {_time(ref):>10}  {ratio}"
                )
            words = _growth_words(probe, result.sizes)
            if words:
                out(f"    {words}")
            if probe.error:
                out(f"    error: {probe.error}")
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
