"""Benchmark: the reference EdgeRing against uhashring.HashRing and a naive linear scan.

Run ``python solutions/edge_selection/benchmark.py`` (needs the ``bench`` extra for uhashring).
It times ``owner`` (uhashring: ``get_node``) and adding then removing a node, on rings of two
sizes with 64 virtual nodes per node, in one run and in interleaved rounds, and prints each
figure with its ratio to the reference.

Importable without uhashring: ``SIZES`` (virtual nodes on the ring) and ``PROBES`` let ``kata
compare`` time any solution module on the same workloads (each probe builds a ring of that size
through the public API and returns a runner that performs a batch of operations and returns how
many).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from kata.bench import load
from kata.measure import timed_steps

VNODES = 64
SIZES: tuple[int, int] = (1_024, 32_768)
RUN_SECONDS = 0.02
CHUNK = 50
ROUNDS = 5
MAIN_SIZES = (16, 512)  # nodes, for the side-by-side run

Runner = Callable[[], int]


def _ring(module: ModuleType, size: int, **options: Any) -> Any:
    """A ring of `size` virtual nodes (size // VNODES nodes of weight 1)."""
    ring = module.EdgeRing(VNODES, **options)
    for i in range(max(1, size // VNODES)):
        ring.add(f"edge-{i}")
    return ring


def probe_owner(module: ModuleType, size: int) -> Runner:
    """owner of 4,096 distinct keys, cycled."""
    owner = _ring(module, size).owner
    probes = [f"title-{n}/segment-{n % 97}" for n in range(4_096)]
    return timed_steps(lambda n: owner(probes[n]), len(probes), RUN_SECONDS, CHUNK)


def probe_owners(module: ModuleType, size: int) -> Runner:
    """owners(key, 3): a segment stored on three edges."""
    owners = _ring(module, size).owners
    probes = [f"title-{n}/segment-{n % 97}" for n in range(4_096)]
    return timed_steps(lambda n: owners(probes[n], 3), len(probes), RUN_SECONDS, CHUNK)


def probe_add_remove(module: ModuleType, size: int) -> Runner:
    """Alternately add and remove one node of weight 1."""
    ring = _ring(module, size)

    def step(n: int) -> None:
        if n % 2 == 0:
            ring.add("edge-new")
        else:
            ring.remove("edge-new")

    return timed_steps(step, 2, RUN_SECONDS, 2)


def probe_assign_release(module: ModuleType, size: int) -> Runner:
    """assign then release keys on a ring holding 1,000 assigned keys."""
    ring = _ring(module, size, load_factor=1.25)
    for n in range(1_000):
        ring.assign(f"held-{n}")
    probes = [f"title-{n}" for n in range(1_024)]

    def step(n: int) -> None:
        ring.assign(probes[n])
        ring.release(probes[n])

    return timed_steps(step, len(probes), RUN_SECONDS, CHUNK)


PROBES: dict[str, Callable[[ModuleType, int], Runner]] = {
    "owner": probe_owner,
    "owners(key, 3)": probe_owners,
    "add + remove a node": probe_add_remove,
    "assign + release": probe_assign_release,
}


# --- the side-by-side benchmark --------------------------------------------------------------


def _position(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


class ScanRing:
    """The naive ring: a list of virtual nodes, scanned on every lookup (O(v) per owner)."""

    def __init__(self) -> None:
        self.points: list[tuple[int, str]] = []

    def add(self, node: str) -> None:
        self.points += [(_position(f"{node}#{i}"), node) for i in range(VNODES)]

    def remove(self, node: str) -> None:
        self.points = [p for p in self.points if p[1] != node]

    def owner(self, key: str) -> str:
        here = _position(key)
        after = [p for p in self.points if p[0] >= here]
        return min(after or self.points)[1]


def _ask(owner: Callable[[str], object], keys: list[str], n: int) -> object:
    return owner(keys[n])


def _per_call(call: Callable[[int], object], count: int) -> float:
    start = time.perf_counter()
    for n in range(count):
        call(n)
    return (time.perf_counter() - start) / count


def _contenders(nodes: int) -> dict[str, tuple[Callable[[str], object], Callable[[int], None]]]:
    """name -> (owner, add-then-remove step) for a ring of `nodes` nodes in each library."""
    from uhashring import HashRing

    reference = load(Path(__file__).with_name("solution.py"), "edge_selection_reference")
    names = [f"edge-{i}" for i in range(nodes)]
    ours = reference.EdgeRing(VNODES)
    scan = ScanRing()
    for name in names:
        ours.add(name)
        scan.add(name)
    theirs = HashRing(nodes=names, vnodes=VNODES)

    def churn(ring: Any, add: str, remove: str) -> Callable[[int], None]:
        return lambda n: getattr(ring, add if n % 2 == 0 else remove)("edge-new")

    return {
        "reference EdgeRing": (ours.owner, churn(ours, "add", "remove")),
        "uhashring.HashRing": (theirs.get_node, churn(theirs, "add_node", "remove_node")),
        "linear scan": (scan.owner, churn(scan, "add", "remove")),
    }


def main() -> None:
    """Print owner and add+remove costs at two sizes for the three rings, as ratios."""
    keys = [f"title-{n}/segment-{n % 97}" for n in range(2_000)]
    best: dict[tuple[str, str, int], float] = {}
    rings = {nodes: _contenders(nodes) for nodes in MAIN_SIZES}
    for _ in range(ROUNDS):
        for nodes, contenders in rings.items():
            for name, (owner, churn) in contenders.items():
                calls = 200 if name == "linear scan" else len(keys)
                cost = _per_call(partial(_ask, owner, keys), calls)
                best[name, "owner", nodes] = min(best.get((name, "owner", nodes), 1.0), cost)
                cost = _per_call(churn, 20)
                best[name, "add", nodes] = min(best.get((name, "add", nodes), 1.0), cost)
    print(f"{VNODES} virtual nodes per node; best of {ROUNDS} interleaved rounds")
    for operation in ("owner", "add"):
        label = "owner(key)" if operation == "owner" else "add + remove of a node"
        for nodes in MAIN_SIZES:
            ref = best["reference EdgeRing", operation, nodes]
            print(f"{label}, {nodes} nodes ({nodes * VNODES:,} virtual nodes):")
            for name in rings[nodes]:
                cost = best[name, operation, nodes]
                print(f"  {name:20} {cost * 1e6:10.2f} us   {cost / ref:6.2f}x the reference")


if __name__ == "__main__":
    main()
