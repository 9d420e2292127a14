"""Run in a separate process by `kata compare`: time a kata's benchmark probes on two solutions.

    python -m kata.bench BENCHMARK.py REFERENCE.py SOLUTION.py OUT.json

Both solutions are loaded into this one process and measured alternately on the same workloads,
so a busy machine slows both alike; only ratios are meant to be read. A kata's ``benchmark.py``
defines ``SIZES = (small, large)`` and ``PROBES = {name: probe}``, where ``probe(module, size)``
builds state of that size and returns a runner that performs operations and returns their count.
OUT.json: ``{"sizes": [s, l], "probes": {name: {"reference": [t_s, t_l], "solution": [t_s, t_l],
"error": str}}}`` with seconds per operation (``null`` where the solution raised).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from kata.measure import per_op_seconds

ROUNDS = 3


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


def measure(benchmark: ModuleType, modules: dict[str, ModuleType]) -> dict[str, Any]:
    """Seconds per operation for each probe, size and module, measured in alternation."""
    small, large = benchmark.SIZES
    probes: dict[str, Callable[[ModuleType, int], Callable[[], int]]] = benchmark.PROBES
    result: dict[str, Any] = {"sizes": [small, large], "probes": {}}
    for name, probe in probes.items():
        entry: dict[str, Any] = {"error": ""}
        runners: dict[tuple[str, int], Callable[[], int]] = {}
        for who, module in modules.items():
            try:
                for size in (small, large):
                    runners[who, size] = probe(module, size)
            except Exception as error:
                entry["error"] = _raised(who, error)
        best: dict[tuple[str, int], float] = {}
        for _ in range(ROUNDS):
            for key, run in runners.items():
                try:
                    cost = per_op_seconds(run, repeat=1)
                except Exception as error:
                    entry["error"] = _raised(key[0], error)
                    continue
                best[key] = min(best.get(key, cost), cost)
        for who in modules:
            entry[who] = [best.get((who, small)), best.get((who, large))]
        result["probes"][name] = entry
    return result


def main() -> None:
    benchmark_path, reference, solution, out = map(Path, sys.argv[1:5])
    benchmark = load(benchmark_path, "kata_benchmark")
    modules = {
        "reference": load(reference, "kata_reference"),
        "solution": load(solution, "solution"),
    }
    out.write_text(json.dumps(measure(benchmark, modules)), encoding="utf-8")


if __name__ == "__main__":
    main()
