"""Run in a separate process by `kata compare`: time a kata's benchmark probes on two solutions.

    python -m kata.bench BENCHMARK.py REFERENCE.py SOLUTION.py OUT.json
        [--probe-seconds S] [--start-when FILE]

Both solutions are loaded into this one process and measured on the same workloads in rounds:
every round times each solution at each size once, and the order of the four runs is reversed
from one round to the next, so a burst of machine load hits both solutions and both sizes alike
and the spread of the rounds shows how noisy the run was. A kata's ``benchmark.py`` defines
``SIZES = (small, large)`` and ``PROBES = {name: probe}``, where ``probe(module, size)`` builds
state of that size and returns a runner that performs operations and returns their count.

Every probe's state is built first; with ``--start-when FILE`` the process then waits for FILE to
exist before it measures anything, so the building can overlap other work while the measuring does
not. Each probe gets a fixed measuring budget (``--probe-seconds``) split over its rounds.

OUT.json: ``{"sizes": [s, l], "probe_seconds": S, "probes": {name: {"reference": [t_s, t_l],
"solution": [t_s, t_l], "rounds": {"reference": [[t_s per round], [t_l per round]],
"solution": [...]}, "error": str}}}`` in seconds per operation; ``reference`` and ``solution``
hold the median of the rounds (``null``, and no rounds, for a solution that raised).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from kata.measure import Clock, per_op_seconds

PROBE_SECONDS = 0.8
"""Measuring time per probe, split over its rounds."""
MIN_ROUNDS = 3
"""Rounds measured even when they overrun the budget: fewer would not show a spread."""
MAX_ROUNDS = 25
"""Rounds at most, however fast the runners are."""
SAMPLE_SECONDS = 0.005
"""A runner faster than this is called several times per round (up to MAX_REPEAT) and the round
keeps its best call, so one preemption by another process does not decide a round's figure."""
MAX_REPEAT = 10
WAIT_LIMIT_SECONDS = 600.0
"""How long ``--start-when`` waits for its file before giving up."""

Key = tuple[str, int]
"""(who, size): who is ``"reference"`` or ``"solution"``."""
Runner = Callable[[], int]


def load(path: Path, name: str) -> ModuleType:
    """Import the file at `path` as a module called `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _raised(who: str, error: Exception) -> str:
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return f"{'yours' if who == 'solution' else who} raised {text}"


def alternate(
    runners: Mapping[Key, Runner],
    seconds: float = PROBE_SECONDS,
    *,
    min_rounds: int = MIN_ROUNDS,
    max_rounds: int = MAX_ROUNDS,
    clock: Clock = time.perf_counter,
) -> tuple[dict[Key, list[float]], str]:
    """Seconds per operation of every runner in each round, and the first error ("" if none).

    Each round measures every runner, in the given order in even rounds and in reverse order in
    odd ones, until `seconds` have been spent and at least `min_rounds` rounds are done, or
    `max_rounds` are. The first round also times each runner: one that took less than
    SAMPLE_SECONDS is then called that many more times per round (at most MAX_REPEAT), its best
    call giving the round's figure. The first round ran cold, so it is dropped, unless it alone
    used up `seconds` (slow runners: keeping it bounds the time). When a runner raises, every
    runner of the same side (the first item of its key) is dropped, its figures included, so the
    remaining lists stay aligned round by round. O(rounds * len(runners) * MAX_REPEAT) calls.
    """
    rounds = _Rounds(dict(runners), clock)
    start = clock()
    rounds.one(0)
    done = 1
    if clock() - start < seconds:
        for figures in rounds.figures.values():
            figures.clear()
        done, start = 0, clock()
    number = 1
    while rounds.live and done < max_rounds and (done < min_rounds or clock() - start < seconds):
        rounds.one(number)
        done, number = done + 1, number + 1
    return rounds.figures, rounds.error


class _Rounds:
    """The runners still measured, their figures per round, and the first error."""

    def __init__(self, live: dict[Key, Runner], clock: Clock) -> None:
        self.live = live
        self.clock = clock
        self.figures: dict[Key, list[float]] = {key: [] for key in live}
        self.repeat: dict[Key, int] = {}
        self.error = ""

    def drop(self, who: str, exc: Exception) -> None:
        """Stop measuring every runner of side `who`, its figures included."""
        self.error = self.error or _raised(who, exc)
        for key in [key for key in self.live if key[0] == who]:
            del self.live[key]
            self.figures.pop(key, None)

    def one(self, number: int) -> None:
        """Round `number`: every runner once, in reverse order in odd rounds; round 0 also
        sets how often each is called per round."""
        order = list(self.live) if number % 2 == 0 else list(reversed(self.live))
        for key in order:
            if key not in self.live:
                continue
            started = self.clock()
            try:
                cost = per_op_seconds(self.live[key], self.repeat.get(key, 1), self.clock)
            except Exception as exc:
                self.drop(key[0], exc)
                continue
            self.figures[key].append(cost)
            if number == 0:
                took = max(self.clock() - started, 1e-9)
                self.repeat[key] = max(1, min(MAX_REPEAT, math.ceil(SAMPLE_SECONDS / took)))


def build(
    benchmark: ModuleType, modules: Mapping[str, ModuleType]
) -> dict[str, tuple[dict[Key, Runner], str]]:
    """Every probe's runners for each module and size, and the first error per probe: a module
    whose probe raised has no runners for that probe. Cost: whatever the probes' setup costs."""
    small, large = benchmark.SIZES
    probes: dict[str, Callable[[ModuleType, int], Runner]] = benchmark.PROBES
    built: dict[str, tuple[dict[Key, Runner], str]] = {}
    for name, probe in probes.items():
        runners: dict[Key, Runner] = {}
        error = ""
        for who, module in modules.items():
            try:
                mine = {(who, size): probe(module, size) for size in (small, large)}
            except Exception as exc:
                error = error or _raised(who, exc)
                continue
            runners.update(mine)
        built[name] = runners, error
    return built


def measure(
    benchmark: ModuleType,
    modules: Mapping[str, ModuleType],
    *,
    probe_seconds: float = PROBE_SECONDS,
    wait: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Build every probe's state, call `wait`, then measure each probe in alternating rounds
    (`alternate`) within `probe_seconds`; returns the OUT.json document described above."""
    small, large = benchmark.SIZES
    # The cyclic collector would walk the growing state again and again while it is built (about
    # a third of the building time) and then during the runs: pause it while building, then
    # exempt the built state from it.
    gc.disable()
    try:
        built = build(benchmark, modules)
    finally:
        gc.enable()
    gc.collect()
    gc.freeze()
    wait()
    result: dict[str, Any] = {"sizes": [small, large], "probe_seconds": probe_seconds, "probes": {}}
    for name, (runners, setup_error) in built.items():
        figures, error = alternate(runners, probe_seconds)
        entry: dict[str, Any] = {"error": setup_error or error, "rounds": {}}
        for who in modules:
            rounds = [figures.get((who, size), []) for size in (small, large)]
            complete = all(rounds)
            entry[who] = [statistics.median(r) if complete else None for r in rounds]
            entry["rounds"][who] = rounds if complete else []
        result["probes"][name] = entry
    return result


def wait_for(path: Path, limit: float = WAIT_LIMIT_SECONDS, poll: float = 0.01) -> None:
    """Return once `path` exists; exit the process if `limit` seconds pass first or the process
    that started this one ends (so an abandoned benchmark does not linger)."""
    parent = os.getppid()
    deadline = time.monotonic() + limit
    while not path.exists():
        if time.monotonic() > deadline or os.getppid() != parent:
            sys.exit(f"kata.bench: {path} did not appear; nothing measured")
        time.sleep(poll)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kata.bench")
    for name in ("benchmark", "reference", "solution", "out"):
        parser.add_argument(name, type=Path)
    parser.add_argument("--probe-seconds", type=float, default=PROBE_SECONDS)
    parser.add_argument("--start-when", type=Path)
    args = parser.parse_args(argv)
    benchmark = load(args.benchmark, "kata_benchmark")
    modules = {
        "reference": load(args.reference, "kata_reference"),
        "solution": load(args.solution, "solution"),
    }
    gate: Path | None = args.start_when
    result = measure(
        benchmark,
        modules,
        probe_seconds=args.probe_seconds,
        wait=(lambda: wait_for(gate)) if gate is not None else (lambda: None),
    )
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
