"""Preconditions: a check that needs another clause to hold first establishes it.

Each clause here has a *probe*: a few calls that show the clause holding, written from the clause
alone (the named checks test it thoroughly; a probe only has to be certain). When a check fails,
the clauses it rests on (`DEPENDS`, or the check's own ``@pytest.mark.needs(...)``) are probed; if
one fails, the check raises `NotDecided` naming it instead of failing under its own clause. So a
ring whose virtual nodes are numbered from 1 fails the L1.2 checks, and the checks of later
clauses, which all look up owners, say "not decided: L1.2 fails first".

A probe fails only on an outcome its clause forbids (no probe times anything), and it runs only
once the probes it needs (`NEEDS`, never a cycle) hold, so a failure names the clause that broke
first. Where a probe could be misled by another clause, it is written to be immune to it instead:
the L1.5 probe compares two rings built in different orders, so it holds whatever the hash, the
numbering or the walk. Results are kept per grading process: the solution does not change within
one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

from es_oracle import OracleRing, position
from solution import EdgeRing

from kata.verdicts import Breaks, NotDecided

BASE = ("L1.2", "L1.3", "L1.4", "L1.5")
"""What every answer of `owner` rests on: placement, the walk, ties, and history."""

DEPENDS: dict[str, tuple[str, ...]] = {
    "L1.1": BASE,
    "L1.2": BASE,
    "L1.3": BASE,
    "L1.4": BASE,
    "L1.5": BASE,
    "L1.6": (*BASE, "L1.8"),
    "L1.7": (*BASE, "L1.8"),
    "L1.8": (),
    "L2.1": BASE,
    "L2.2": (*BASE, "L1.8", "L2.1"),
    "L2.3": (*BASE, "L2.1"),
    "L2.4": (*BASE, "L2.1"),
    "L3.1": (*BASE, "L2.1"),
    "L3.2": ("L3.3",),
    "L3.3": (*BASE, "L1.6", "L1.8", "L2.1", "L2.4", "L3.1"),
    "L3.4": (*BASE, "L2.1", "L2.4", "L3.1", "L3.3"),
    "L3.5": (*BASE, "L1.6", "L3.3"),
    "L4.1": ("L4.2",),
    "L4.2": (*BASE, "L1.6", "L3.3", "L4.3"),
    "L4.3": (*BASE, "L3.3", "L3.4", "L4.2", "L4.4"),
    "L4.4": (*BASE, "L4.2", "L4.3"),
    "L4.5": (*BASE, "L2.4", "L3.3", "L3.4", "L4.2", "L4.3", "L4.4", "L4.6"),
    "L4.6": (*BASE, "L2.4", "L3.3", "L3.4", "L4.2", "L4.3", "L4.4"),
    "L4.7": (*BASE, "L2.4", "L3.1", "L3.3", "L4.2", "L4.3", "L4.6"),
    "L4.8": (*BASE, "L3.1", "L4.2", "L4.3"),
}
"""Clause -> the clauses a check of it rests on (what its scenarios use to observe it)."""

NEEDS: dict[str, tuple[str, ...]] = {
    "L1.2": ("L1.5",),
    "L1.3": ("L1.2", "L1.5"),
    "L1.4": ("L1.2", "L1.3", "L1.5"),
    "L2.1": BASE,
    "L2.2": ("L1.6", "L1.8"),
    "L2.3": ("L1.5",),
    "L2.4": ("L1.5",),
    "L3.1": BASE,
    "L3.3": ("L1.5", "L1.6", "L1.8"),
    "L3.4": ("L1.5", "L2.4", "L3.3"),
    "L3.5": ("L1.6", "L3.3"),
    "L4.2": (*BASE, "L3.3"),
    "L4.3": BASE,
    "L4.4": BASE,
    "L4.5": (*BASE, "L4.3"),
    "L4.6": (*BASE, "L2.4", "L3.3", "L4.2", "L4.3"),
}
"""Clause -> the clauses its probe rests on (acyclic; a probe immune to a clause omits it)."""


class Failed(Exception):
    """A probe saw its clause broken."""


def _expect(ok: bool, text: str) -> None:
    if not ok:
        raise Failed(text)


def _raises(error: type[BaseException], text: str, call: Callable[..., Any], *args: Any) -> None:
    """`call(*args)` raises `error` (a probe of what a call must refuse)."""
    try:
        got = call(*args)
    except error:
        return
    except Exception as other:
        raise Failed(f"{text}: expected {error.__name__}, got {type(other).__name__}") from other
    raise Failed(f"{text}: expected {error.__name__}, got {got!r}")


def _ring(nodes: Iterable[str], vnodes: int = 3, load_factor: float = 1.25) -> EdgeRing:
    ring = EdgeRing(vnodes, load_factor)
    for node in nodes:
        ring.add(node)
    return ring


def _model(nodes: Iterable[str], vnodes: int = 3, load_factor: float = 1.25) -> OracleRing:
    model = OracleRing(vnodes, load_factor)
    for node in nodes:
        model.add(node)
    return model


def _outcome(call: Callable[..., Any], *args: Any) -> Any:
    """What `call(*args)` answered, or the type of what it raised (for comparing two rings)."""
    try:
        return call(*args)
    except Exception as error:
        return type(error)


def _owners(ring: EdgeRing, keys: Iterable[str]) -> dict[str, Any]:
    return {key: _outcome(ring.owner, key) for key in keys}


def _keys(count: int, prefix: str = "k") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


NODES = ("a", "b", "c", "d")


# level 1 --------------------------------------------------------------------------------------


def probe_vnodes() -> None:
    for good in (1, 3, 10_000):
        EdgeRing(good)
    for bad, error in (
        (0, ValueError),
        (10_001, ValueError),
        (True, TypeError),
        (1.5, TypeError),
        ("3", TypeError),
    ):
        _raises(error, f"EdgeRing({bad!r})", EdgeRing, bad)


def probe_history() -> None:
    """Two rings with the same nodes, built in different orders (one with nodes added and
    removed on the way), answer alike: whatever the hash, the numbering or the walk."""
    first = _ring(NODES)
    second = EdgeRing(3)
    for node in ("x", "d", "b", "y", "a", "c"):
        second.add(node)
    for node in ("y", "x"):
        second.remove(node)
    probes = [*_keys(60), *(f"{n}#{i}" for n in NODES for i in range(3))]
    got, want = _owners(second, probes), _owners(first, probes)
    wrong = [key for key in probes if got[key] != want[key]]
    _expect(
        not wrong,
        f"a ring of a, b, c, d (vnodes 3) added in that order and one built as x, "
        f"d, b, y, a, c then removing y and x disagree on owner({wrong[:1]})",
    )


def _between_keys(model: OracleRing, count: int) -> list[str]:
    """ASCII keys strictly between two virtual nodes (neither on one nor past the last)."""
    points = {pos for pos, _ in model.points()}
    last = max(points)
    return [k for k in _keys(count) if position(k) < last and position(k) not in points]


def probe_placement() -> None:
    """Keys between virtual nodes go to the node expected from position(f"{node}#{i}"),
    i = 0 .. vnodes - 1 (no key here wraps around or sits on a virtual node)."""
    for vnodes in (1, 3):
        ring, model = _ring(NODES, vnodes), _model(NODES, vnodes)
        for key in _between_keys(model, 80):
            got = _outcome(ring.owner, key)
            _expect(
                got == model.owner(key),
                f"nodes a, b, c, d with vnodes {vnodes}: owner({key!r}) returned {got!r}, "
                f"expected {model.owner(key)!r} (virtual node i of a node sits at "
                "position(f'{node}#{i}'), i from 0)",
            )


def probe_walk() -> None:
    """Keys past the last virtual node wrap around to the first; keys are hashed as UTF-8."""
    ring, model = _ring(NODES, 2), _model(NODES, 2)
    last = max(pos for pos, _ in model.points())
    beyond = [k for k in _keys(400) if position(k) > last][:4]
    for key in [*beyond, "é", "片段-1", "🎬", "ü/7", "ß"]:
        got = _outcome(ring.owner, key)
        _expect(
            got == model.owner(key),
            f"nodes a, b, c, d with vnodes 2: owner({key!r}) returned {got!r}, expected "
            f"{model.owner(key)!r}",
        )
    single = _ring(["a"], 1)
    for key in ["", *beyond]:
        got = _outcome(single.owner, key)
        _expect(got == "a", f"a ring of one node 'a': owner({key!r}) returned {got!r}")


def probe_ties() -> None:
    ring = _ring(NODES, 3)
    for node in NODES:
        for i in range(3):
            got = _outcome(ring.owner, f"{node}#{i}")
            _expect(
                got == node,
                f"owner({f'{node}#{i}'!r}) returned {got!r}, expected {node!r} "
                "(the key sits exactly on that virtual node)",
            )


def probe_errors() -> None:
    _raises(LookupError, "owner on an empty ring", EdgeRing(2).owner, "k")
    ring = _ring(["a"], 2)
    _raises(ValueError, "add of a node already on the ring", ring.add, "a")
    _raises(KeyError, "remove of a node not on the ring", ring.remove, "z")


def probe_types() -> None:
    _raises(TypeError, "owner(5) on an empty ring", EdgeRing(2).owner, 5)
    ring = _ring(["a"], 2)
    for method in ("add", "remove", "owner"):
        _raises(TypeError, f"{method}(b'a')", getattr(ring, method), b"a")
    _raises(ValueError, "add('')", ring.add, "")


def probe_len() -> None:
    ring = _ring(["a", "b"], 5)
    got = [len(ring)]
    ring.remove("a")
    got.append(len(ring))
    found = [value in ring for value in ("b", "a", "b#0", 5)]
    _expect(
        got == [2, 1] and found == [True, False, False, False],
        f"two nodes of 5 virtual nodes, then one removed: len was {got}, and 'b', 'a', "
        f"'b#0', 5 in ring gave {found}, expected [2, 1] and [True, False, False, False]",
    )


# level 2 --------------------------------------------------------------------------------------


def probe_weights() -> None:
    """Keys on the virtual nodes of weighted nodes: int weights exact, float halves up."""
    for vnodes, weighted in ((2, (("w", 3), ("h", 1.25))), (1, (("g", 2.5),)), (3, (("q", 0.5),))):
        ring, model = _ring(NODES, vnodes), _model(NODES, vnodes)
        for node, weight in weighted:
            ring.add(node, weight)
            model.add(node, weight)
        for node, _ in weighted:
            for i in range(model.counts[node] + 2):
                key = f"{node}#{i}"
                got = _outcome(ring.owner, key)
                _expect(
                    got == model.owner(key),
                    f"vnodes {vnodes}, {node!r} added with weight {dict(weighted)[node]!r} "
                    f"({model.counts[node]} virtual nodes): owner({key!r}) returned "
                    f"{got!r}, expected {model.owner(key)!r}",
                )


def probe_weight_checks() -> None:
    ring = _ring(["a"], 64)
    for weight, error in (
        (True, TypeError),
        ("1", TypeError),
        (0, ValueError),
        (0.001, ValueError),
        (math.nan, ValueError),
        (-1, ValueError),
    ):
        _raises(error, f"add('x', {weight!r})", ring.add, "x", weight)
    _expect("x" not in ring, "a rejected add put the node on the ring")
    ring.add("x", 1.5)
    _expect("x" in ring, "add('x', 1.5) did not put x on the ring")
    # a node already on the ring added again with another weight: rejected, and nothing changes
    # (compared with the ring's own answers, so whatever the hash or the walk)
    probes = _keys(60)
    before = _owners(ring, probes)
    _raises(ValueError, "add('a', 2) of a node on the ring", ring.add, "a", 2)
    after = _owners(ring, probes)
    changed = [k for k in probes if after[k] != before[k]]
    _expect(not changed, f"the rejected add('a', 2) changed owner({changed[:1]})")


def probe_add_moves() -> None:
    ring = _ring(NODES[:3])
    probes = _keys(60)
    before = _owners(ring, probes)
    ring.add("d")
    after = _owners(ring, probes)
    moved = [k for k in probes if after[k] not in (before[k], "d")]
    _expect(
        not moved,
        f"adding d moved owner({moved[:1]}) from {before[moved[0]] if moved else ''!r}"
        " to another node",
    )


def probe_remove_moves() -> None:
    ring = _ring(NODES)
    probes = _keys(60)
    before = _owners(ring, probes)
    ring.remove("b")
    after = _owners(ring, probes)
    moved = [k for k in probes if before[k] != "b" and after[k] != before[k]]
    ring.add("b")
    back = _owners(ring, probes)
    _expect(
        not moved and back == before,
        f"removing b moved keys of other nodes ({moved[:1]}) or adding it back did not "
        "restore every answer",
    )


# level 3 --------------------------------------------------------------------------------------


def probe_replicas() -> None:
    ring, model = _ring([*NODES, "e"], 4), _model([*NODES, "e"], 4)
    for key in _keys(30):
        for n in (3, 9):
            got = _outcome(ring.owners, key, n)
            _expect(
                type(got) is list and got == model.owners(key, n),
                f"nodes a .. e with vnodes 4: owners({key!r}, {n}) returned {got!r}, "
                f"expected {model.owners(key, n)!r}",
            )


def probe_owners_checks() -> None:
    ring = _ring(["a", "b"], 2)
    for args, error in (
        ((5, 0), TypeError),
        (("k", True), TypeError),
        (("k", 1.0), TypeError),
        (("k", 0), ValueError),
        (("k", -1), ValueError),
    ):
        _raises(error, f"owners{args!r}", ring.owners, *args)
    _raises(LookupError, "owners on an empty ring", EdgeRing(2).owners, "k", 1)


def probe_down() -> None:
    ring = _ring(NODES)
    probes = _keys(60)
    before = _owners(ring, probes)
    ring.mark_down("b")
    ring.mark_down("b")
    after = _owners(ring, probes)
    wrong = [k for k in probes if (after[k] != before[k] and before[k] != "b") or after[k] == "b"]
    _expect(
        not wrong,
        f"b marked down twice: owner({wrong[:1]}) was {before[wrong[0]] if wrong else ''!r},"
        f" became {after[wrong[0]] if wrong else ''!r} (only b's keys may move, "
        "and not to b)",
    )
    _expect(len(ring) == 4 and "b" in ring, "a down node does not count in len or in")
    _raises(ValueError, "add of a down node", ring.add, "b")
    ring.remove("b")
    _expect("b" not in ring, "remove of a down node did not remove it")


def probe_up() -> None:
    ring = _ring(NODES)
    probes = _keys(60)
    before = _owners(ring, probes)
    for node in ("c", "a"):
        ring.mark_down(node)
    for node in ("c", "a", "a"):
        ring.mark_up(node)
    _expect(_owners(ring, probes) == before, "marking c and a down and up again changed answers")
    ring.mark_down("b")
    ring.remove("b")
    ring.add("b")
    _expect(
        _owners(ring, probes) == before,
        "b marked down, removed and added again is not up (answers changed)",
    )


def probe_mark_checks() -> None:
    ring = _ring(["a", "b"], 2)
    for method in ("mark_down", "mark_up"):
        _raises(KeyError, f"{method}('z')", getattr(ring, method), "z")
        _raises(TypeError, f"{method}(5)", getattr(ring, method), 5)
    ring.mark_down("a")
    ring.mark_down("b")
    _raises(LookupError, "owner with every node down", ring.owner, "k")


# level 4 --------------------------------------------------------------------------------------


def probe_load_factor() -> None:
    for good in (1, 1.25, 1000):
        EdgeRing(4, good)
    for bad, error in (
        (0.5, ValueError),
        (math.nan, ValueError),
        (1000.5, ValueError),
        (True, TypeError),
        ("1.5", TypeError),
    ):
        _raises(error, f"EdgeRing(4, {bad!r})", EdgeRing, 4, bad)


def _assign_like(ring: EdgeRing, model: OracleRing, keys: Iterable[str], what: str) -> None:
    for key in keys:
        got = _outcome(ring.assign, key)
        want = model.assign(key)
        _expect(got == want, f"{what}: assign({key!r}) returned {got!r}, expected {want!r}")
    loads = {node: _outcome(ring.load, node) for node in model.counts}
    want_loads = {node: model.load(node) for node in model.counts}
    _expect(loads == want_loads, f"{what}: loads {loads}, expected {want_loads}")


def probe_bound() -> None:
    for nodes, factor in ((("a", "b"), 1), (NODES, 1.25), (NODES, 1.5)):
        ring, model = _ring(nodes, 2, factor), _model(nodes, 2, factor)
        _assign_like(ring, model, _keys(13), f"nodes {', '.join(nodes)}, load factor {factor}")
    ring, model = _ring(("a", "b", "c"), 2, 1), _model(("a", "b", "c"), 2, 1)
    ring.mark_down("c")
    model.mark_down("c")
    _assign_like(ring, model, _keys(9), "nodes a, b and c (down), load factor 1")


def probe_assigned() -> None:
    ring = _ring(("a", "b", "c"))
    first = {key: ring.assign(key) for key in _keys(10)}
    again = {key: ring.assign(key) for key in _keys(10)}
    total = sum(ring.load(node) for node in ("a", "b", "c"))
    _expect(
        again == first and total == 10,
        f"10 keys assigned twice: the second assigns returned {again == first and 'the same'}"
        f" nodes and the loads add up to {total}, expected the same nodes and 10",
    )
    _raises(LookupError, "assign on an empty ring", EdgeRing(2).assign, "k")
    _raises(TypeError, "assign(5)", ring.assign, 5)


def probe_release() -> None:
    ring = _ring(("a", "b", "c"))
    placed = {key: ring.assign(key) for key in _keys(6)}
    before = ring.load(placed["k0"])
    got = ring.release("k0")
    after = ring.load(placed["k0"])
    _expect(
        got == placed["k0"] and after == before - 1,
        f"release('k0') of a key on {placed['k0']!r} returned {got!r} and took its load from "
        f"{before} to {after}",
    )
    for key in ("k0", "never"):
        _raises(KeyError, f"release({key!r}) of a key not assigned", ring.release, key)
    _raises(TypeError, "release(5)", ring.release, 5)


def probe_stable() -> None:
    ring = _ring(("a", "b", "c"))
    placed = {key: ring.assign(key) for key in _keys(12)}
    ring.add("d")
    ring.release("k0")
    del placed["k0"]
    _expect({k: ring.assign(k) for k in placed} == placed, "add or release moved an assigned key")
    ring.mark_down("b")
    kept = {k: n for k, n in placed.items() if n != "b"}
    _expect({k: ring.assign(k) for k in kept} == kept, "mark_down of b moved keys of other nodes")
    placed = {k: ring.assign(k) for k in placed}
    ring.mark_up("b")
    _expect({k: ring.assign(k) for k in placed} == placed, "mark_up moved an assigned key")


def probe_reassign() -> None:
    ring, model = _ring(NODES, 2, 1), _model(NODES, 2, 1)
    _assign_like(ring, model, _keys(20), "nodes a, b, c, d, load factor 1")
    for leave in ("mark_down", "remove"):
        node = "a" if leave == "mark_down" else "c"
        getattr(ring, leave)(node)
        getattr(model, leave)(node)
        _assign_like(ring, model, _keys(20), f"after {leave}({node!r})")
    ring, model = _ring(("a", "b"), 2, 1.5), _model(("a", "b"), 2, 1.5)
    _assign_like(ring, model, _keys(6), "nodes a, b, load factor 1.5")
    ring.mark_down("a")
    ring.mark_down("b")
    left = [k for k in _keys(6) if _outcome(ring.release, k) is not KeyError]
    _expect(not left, f"with every node down, {left[:1]} was still assigned")


PROBES: dict[str, Callable[[], None]] = {
    "L1.1": probe_vnodes,
    "L1.2": probe_placement,
    "L1.3": probe_walk,
    "L1.4": probe_ties,
    "L1.5": probe_history,
    "L1.6": probe_errors,
    "L1.7": probe_types,
    "L1.8": probe_len,
    "L2.1": probe_weights,
    "L2.2": probe_weight_checks,
    "L2.3": probe_add_moves,
    "L2.4": probe_remove_moves,
    "L3.1": probe_replicas,
    "L3.2": probe_owners_checks,
    "L3.3": probe_down,
    "L3.4": probe_up,
    "L3.5": probe_mark_checks,
    "L4.1": probe_load_factor,
    "L4.2": probe_bound,
    "L4.3": probe_assigned,
    "L4.4": probe_release,
    "L4.5": probe_stable,
    "L4.6": probe_reassign,
}


@functools.cache
def verdict(clause: str) -> str | None:
    """Why `clause` fails its probe; "" when the probe did not run (a clause it needs fails or
    it has no probe); None when it holds."""
    if clause not in PROBES or any(verdict(c) is not None for c in NEEDS.get(clause, ())):
        return ""
    try:
        PROBES[clause]()
    except Failed as failure:
        return str(failure)
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def broken(clause: str) -> str:
    """Why `clause` fails its probe ("" when it holds, or when a clause it needs fails)."""
    return verdict(clause) or ""


def _order(clause: str) -> tuple[int, ...]:
    return tuple(int(n) for n in clause[1:].split("."))


def closure(clauses: Iterable[str]) -> list[str]:
    """`clauses` and every clause they rest on, in statement order."""
    seen: set[str] = set()
    todo = list(clauses)
    while todo:
        clause = todo.pop()
        if clause not in seen:
            seen.add(clause)
            todo += DEPENDS.get(clause, ())
            todo += NEEDS.get(clause, ())
    return sorted(seen, key=_order)


def establish(clauses: Iterable[str], cause: BaseException | None = None) -> None:
    """Raise NotDecided (from `cause`, the check's own failure) naming the clauses among
    `clauses` whose probes fail (each only once the clauses its probe needs hold)."""
    failing = [c for c in clauses if broken(c)]
    if failing:
        raise NotDecided(*failing, reason=_reason(failing, cause)) from cause


def _reason(failing: list[str], cause: BaseException | None) -> str:
    reason = "; ".join(broken(c) for c in failing)
    own = str(cause).strip().split("\n")[0] if cause is not None else ""
    return reason + (f" (and this check saw: {own})" if own else "")


def preconditions(cited: Iterable[str], needs: Iterable[str] | None) -> list[str]:
    """What a check must establish: its ``needs`` marker when it has one, else what the clauses
    it cites rest on, with what their probes need (never the cited clauses themselves: a check
    decides those)."""
    cited = list(cited)
    roots = list(needs) if needs is not None else [d for c in cited for d in DEPENDS.get(c, ())]
    return [c for c in closure(roots) if c not in cited]


def narrow(
    cited: list[str], clause: str, failure: BaseException, needs: Iterable[str] | None = None
) -> None:
    """A check of several clauses failed on an example whose expected answer `clause` gives:
    raise NotDecided when a clause that answer rests on (`needs`, by default what a check of
    `clause` rests on) fails first (Breaks when those are all cited), else Breaks naming
    `clause`. When `clause` holds its probe but another clause the check cites (or rests on)
    fails its own, that one is the cause: the rule that gave the answer is only where the flaw
    showed (a duplicate add that changed the ring shows in a lookup of the weights' rule)."""
    rests = list(needs) if needs is not None else list(DEPENDS.get(clause, ()))
    roots = [*rests, *([] if clause in cited else [clause])]
    failing = [c for c in closure(roots) if (c != clause or c not in cited) and broken(c)]
    if not failing and not broken(clause):
        failing = [c for c in closure([*cited, *rests]) if c != clause and broken(c)]
    if failing and not set(failing) <= set(cited):
        raise NotDecided(*failing, reason=_reason(failing, failure)) from failure
    breaks = Breaks(*(failing or [clause]), message=str(failure))
    for note in getattr(failure, "__notes__", []):
        breaks.add_note(note)  # Hypothesis's falsifying example
    raise breaks from failure
