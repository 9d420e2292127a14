"""Level 2 — weights and the cost of change (the cost checks are in test_performance.py)."""

from __future__ import annotations

import math

import pytest
from es_oracle import vnode_count
from es_support import Scenario, keys
from hypothesis import given
from hypothesis import strategies as st

OTHERS = [f"edge-{c}" for c in "abcdefgh"]
# Weights exact in binary floating point (see the statement), each giving a virtual node at least.
WEIGHTS = st.sampled_from([1, 2, 3, 0.5, 1.5, 2.5, 0.75, 1.25, 2.25])


def weighted_ring(node: str, weight: float, vnodes: int) -> Scenario:
    """`node` with `weight` among eight nodes of weight 1."""
    s = Scenario(vnodes)
    for other in OTHERS:
        s.add(other)
    s.add(node, weight)
    return s


def probe_counts(s: Scenario, node: str, count: int, clause: str | None = None) -> None:
    """Keys exactly on virtual nodes 0 .. count + 2 of `node`: those below its count are its own,
    the others go to whoever is next clockwise."""
    for i in range(count + 3):
        s.check_owner(f"{node}#{i}", why=f"{node} has {count} virtual nodes", clause=clause)


# L2.1 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L2.1")
@pytest.mark.parametrize(("weight", "vnodes"), [(3, 2), (2, 5), (1, 4)])
def test_an_int_weight_gives_weight_times_vnodes_virtual_nodes(weight: int, vnodes: int) -> None:
    s = weighted_ring("edge-w", weight, vnodes)
    probe_counts(s, "edge-w", weight * vnodes)


@pytest.mark.clause("L2.1")
@pytest.mark.parametrize(
    ("weight", "vnodes", "count"),
    [
        (2.5, 1, 3),
        (1.25, 2, 3),
        (2.25, 2, 5),
        (0.5, 3, 2),
        (0.75, 2, 2),
        (1.25, 1, 1),
        (0.5, 1, 1),
        (1.5, 3, 5),
        (0.25, 6, 2),
    ],
)
def test_a_float_weight_rounds_half_up(weight: float, vnodes: int, count: int) -> None:
    assert vnode_count(weight, vnodes) == count
    s = weighted_ring("edge-w", weight, vnodes)
    s.lines.append(
        f"# weight {weight} * vnodes {vnodes} = {weight * vnodes}: {count} virtual "
        "nodes (halves round up)"
    )
    probe_counts(s, "edge-w", count)


@pytest.mark.clause("L2.1")
def test_weight_one_is_the_level_one_ring() -> None:
    s = Scenario(3)
    for node in OTHERS[:4]:
        s.add(node, 1)
    s.add("edge-x", 1.0)
    for key in [*keys(60), "edge-x#2", "edge-x#3"]:
        s.check_owner(key)


@pytest.mark.clause("L2.1")
@given(
    weights=st.lists(WEIGHTS, min_size=1, max_size=5),
    vnodes=st.integers(1, 4),
    probes=st.lists(st.text(alphabet="abcxyz019#-/ é片", max_size=6), max_size=8),
)
def test_weighted_rings_match_the_oracle(
    weights: list[float], vnodes: int, probes: list[str]
) -> None:
    s = Scenario(vnodes)
    for number, weight in enumerate(weights):
        s.add(f"n{number}", weight)
    extra = [f"n{i}#{j}" for i in range(len(weights)) for j in range(3 * vnodes)]
    for key in [*probes, *extra]:
        s.check_owner(key)


# L2.2 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L2.2")
@pytest.mark.parametrize(
    "weight",
    [
        0,
        -1,
        0.0,
        -0.5,
        math.nan,
        math.inf,
        -math.inf,
        0.001,
        50_001,
        50_000.5,
        1e300,
        1.7e308,
        10**400,
    ],
)
def test_a_weight_out_of_range_raises_value_error_and_changes_nothing(weight: float) -> None:
    s = weighted_ring("edge-w", 1, 2)
    s.raises(
        "add",
        "edge-z",
        weight,
        error=ValueError,
        why="a weight must be finite and > 0 and give 1 to 100,000 virtual nodes",
    )
    s.expect("__contains__", "edge-z", expected=False, why="a rejected add changes nothing")
    s.check_len()
    for key in keys(20):
        s.check_owner(key)


@pytest.mark.clause("L2.2")
@pytest.mark.parametrize("weight", ["1", True, None, [1]])
def test_a_weight_of_the_wrong_type_raises_type_error(weight: object) -> None:
    s = weighted_ring("edge-w", 1, 2)
    s.raises("add", "edge-z", weight, error=TypeError)
    s.expect("__contains__", "edge-z", expected=False, why="a rejected add changes nothing")


# The refusal of a duplicate is L1.6's; that the refused add, whatever its weight, changes
# nothing is L2.2's: each failing example is cited to the one of the two it breaks.
@pytest.mark.clause("L1.6", "L2.2")
@pytest.mark.needs("L1.2", "L1.3", "L1.4", "L1.5", "L1.8", "L2.1", "L2.4")
def test_a_duplicate_add_with_another_weight_raises_value_error_and_changes_nothing() -> None:
    s = weighted_ring("edge-w", 1, 2)
    s.raises(
        "add", "edge-w", 3, error=ValueError, why="edge-w is already on the ring", clause="L1.6"
    )
    s.raises(
        "add", "edge-a", 2.5, error=ValueError, why="edge-a is already on the ring", clause="L1.6"
    )
    probe_counts(s, "edge-w", 2, clause="L2.2")
    probe_counts(s, "edge-a", 2, clause="L2.2")
    s.remove("edge-w")
    for i in range(6):
        s.check_owner(
            f"edge-w#{i}",
            why="edge-w was removed, and the rejected add left nothing",
            clause="L2.2",
        )


@pytest.mark.clause("L2.2")
def test_a_weight_giving_exactly_100_000_virtual_nodes_is_accepted() -> None:
    s = Scenario(10_000)
    s.call("add", "edge-w", 10)
    s.call("add", "edge-f", 10.0)
    for node in ["edge-w", "edge-f"]:
        s.expect(
            "owner",
            f"{node}#99999",
            expected=node,
            why=f"{node} has 100,000 virtual nodes, numbered 0 .. 99,999",
        )
    s.raises("add", "edge-x", 11, error=ValueError, why="110,000 virtual nodes is too many")


@pytest.mark.clause("L2.2")
def test_a_weight_giving_exactly_one_virtual_node_is_accepted() -> None:
    s = weighted_ring("edge-w", 0.5, 1)
    probe_counts(s, "edge-w", 1)


# L2.3, L2.4 -----------------------------------------------------------------------------------


def owners_of(s: Scenario, probes: list[str]) -> dict[str, str]:
    return {key: s.check_owner(key) for key in probes}


@pytest.mark.clause("L2.3")
@given(weights=st.lists(WEIGHTS, min_size=1, max_size=5), new=WEIGHTS, vnodes=st.integers(1, 4))
def test_adding_a_node_moves_only_keys_that_now_belong_to_it(
    weights: list[float], new: float, vnodes: int
) -> None:
    s = Scenario(vnodes)
    for number, weight in enumerate(weights):
        s.add(f"n{number}", weight)
    probes = keys(40)
    before = owners_of(s, probes)
    s.add("new", new)
    for key in probes:
        got = s.check_owner(key)
        if got not in (before[key], "new"):
            s.fail(
                f"ring.owner({key!r}) moved from {before[key]!r} to {got!r}: adding 'new' may "
                "move a key only to 'new'"
            )


@pytest.mark.clause("L2.4")
@given(
    weights=st.lists(WEIGHTS, min_size=2, max_size=5),
    pick=st.integers(0, 4),
    vnodes=st.integers(1, 4),
)
def test_removing_a_node_moves_only_its_own_keys_and_adding_it_back_restores_all(
    weights: list[float], pick: int, vnodes: int
) -> None:
    s = Scenario(vnodes)
    for number, weight in enumerate(weights):
        s.add(f"n{number}", weight)
    gone = f"n{pick % len(weights)}"
    probes = keys(40)
    before = owners_of(s, probes)
    s.remove(gone)
    for key in probes:
        got = s.check_owner(key)
        if before[key] != gone and got != before[key]:
            s.fail(
                f"ring.owner({key!r}) moved from {before[key]!r} to {got!r}: removing "
                f"{gone!r} may move only its own keys"
            )
    s.add(gone, weights[pick % len(weights)])
    for key in probes:
        s.expect("owner", key, expected=before[key], why=f"{gone!r} was added back")


@pytest.mark.clause("L2.4")
def test_removing_a_weighted_node_removes_all_its_virtual_nodes() -> None:
    s = weighted_ring("edge-w", 3, 2)
    s.remove("edge-w")
    for i in range(7):
        s.check_owner(f"edge-w#{i}", why="edge-w was removed")
