"""Level 3 — replicas and failover."""

from __future__ import annotations

import pytest
from es_oracle import position
from es_support import Scenario, keys
from hypothesis import given
from hypothesis import strategies as st

NODES = ["edge-a", "edge-b", "edge-c", "edge-d", "edge-e"]


def ring_of(nodes: list[str], vnodes: int = 3) -> Scenario:
    s = Scenario(vnodes)
    for node in nodes:
        s.add(node)
    return s


# L3.1 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L3.1")
@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_owners_are_the_first_n_distinct_nodes_clockwise(n: int) -> None:
    s = ring_of(NODES, vnodes=4)
    for key in [*keys(40), "edge-a#0", "edge-c#3"]:
        s.check_owners(key, n)


@pytest.mark.clause("L3.1")
def test_owners_of_one_is_the_owner() -> None:
    s = ring_of(NODES, vnodes=3)
    for key in keys(30):
        s.expect("owners", key, 1, expected=[s.model.owner(key)])


@pytest.mark.clause("L3.1")
def test_owners_never_repeat_a_node_however_many_of_its_virtual_nodes_are_passed() -> None:
    s = ring_of(["edge-a", "edge-b", "edge-c"], vnodes=8)
    for key in keys(40):
        got = s.call("owners", key, 3)
        if sorted(got) != ["edge-a", "edge-b", "edge-c"]:
            s.fail(f"ring.owners({key!r}, 3): expected the three nodes once each, got {got!r}")
        s.check_owners(key, 3)


@pytest.mark.clause("L3.1")
def test_owners_wrap_around_past_the_last_virtual_node() -> None:
    s = ring_of(NODES, vnodes=1)
    points = sorted(position(f"{n}#0") for n in NODES)
    # Keys between the second-to-last and the last virtual node, and past the last one: their
    # replicas continue from the start of the ring.
    late = [k for k in keys(600) if position(k) > points[-2]][:6]
    assert late, "the check found no key near the end of the ring"
    for key in late:
        s.check_owners(key, 3, why="the walk wraps around to the start of the ring")


@pytest.mark.clause("L3.1")
def test_asking_for_more_owners_than_nodes_returns_every_node_in_clockwise_order() -> None:
    s = ring_of(NODES[:3], vnodes=2)
    for key in keys(20):
        s.check_owners(key, 3)
        s.check_owners(key, 7, why="only 3 nodes are up: all of them, in clockwise order")


@pytest.mark.clause("L3.1")
@given(
    count=st.integers(1, 6),
    vnodes=st.integers(1, 4),
    n=st.integers(1, 7),
    probes=st.lists(st.text(alphabet="abcxyz019#-/ é片", max_size=6), min_size=1, max_size=8),
)
def test_owners_match_the_oracle_on_random_rings(
    count: int, vnodes: int, n: int, probes: list[str]
) -> None:
    s = ring_of([f"n{i}" for i in range(count)], vnodes)
    for key in probes:
        s.check_owners(key, n)


# L3.2 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L3.2")
@pytest.mark.parametrize(
    ("key", "n", "error"),
    [
        (5, 1, TypeError),
        (None, 2, TypeError),
        ("seg", "2", TypeError),
        ("seg", 1.0, TypeError),
        ("seg", True, TypeError),
        ("seg", 0, ValueError),
        ("seg", -3, ValueError),
        (5, 0, TypeError),
    ],
)
def test_owners_rejects_bad_arguments(key: object, n: object, error: type[Exception]) -> None:
    s = ring_of(NODES[:2])
    s.raises("owners", key, n, error=error)


@pytest.mark.clause("L3.2")
def test_owners_on_a_ring_with_no_node_up_raises_lookup_error_after_the_argument_checks() -> None:
    s = Scenario(2)
    s.raises("owners", "seg", 2, error=LookupError)
    s.raises("owners", "seg", 0, error=ValueError, why="the ValueError comes first")
    s.add("edge-a")
    s.mark_down("edge-a")
    s.raises("owners", "seg", 2, error=LookupError, why="the only node is down")


# L3.3 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L3.3")
def test_a_down_node_is_skipped_and_no_other_key_moves() -> None:
    s = ring_of(NODES, vnodes=3)
    probes = [*keys(60), "edge-b#0", "edge-b#2"]
    before = {key: s.check_owner(key) for key in probes}
    s.mark_down("edge-b")
    s.mark_down("edge-b")
    for key in probes:
        got = s.check_owner(key, why="edge-b is down")
        if before[key] != "edge-b" and got != before[key]:
            s.fail(
                f"ring.owner({key!r}) moved from {before[key]!r} to {got!r}: only keys of "
                "the down node may move"
            )
        s.check_owners(key, 3, why="edge-b is down")


@pytest.mark.clause("L3.3")
def test_a_down_node_is_not_counted_among_the_replicas() -> None:
    s = ring_of(NODES[:3], vnodes=2)
    s.mark_down("edge-a")
    for key in keys(20):
        s.check_owners(key, 3, why="edge-a is down: only 2 nodes are up")
        s.check_owners(key, 2)


@pytest.mark.clause("L3.3")
def test_a_down_node_is_still_on_the_ring() -> None:
    s = ring_of(NODES[:3], vnodes=2)
    s.mark_down("edge-a")
    s.expect("__len__", expected=3, why="a down node counts in len")
    s.expect("__contains__", "edge-a", expected=True, why="a down node is still on the ring")
    s.raises("add", "edge-a", error=ValueError, why="edge-a is on the ring, down")
    s.mark_down("edge-a")
    s.remove("edge-a")
    s.expect("__contains__", "edge-a", expected=False)
    for key in keys(20):
        s.check_owner(key)


# L3.4 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L3.4")
def test_marking_a_node_up_restores_every_answer() -> None:
    s = ring_of(NODES, vnodes=3)
    probes = keys(60)
    owners = {key: s.model.owners(key, 3) for key in probes}
    s.mark_down("edge-c")
    s.mark_down("edge-a")
    s.mark_up("edge-c")
    s.mark_up("edge-a")
    s.mark_up("edge-a")
    for key in probes:
        s.expect("owners", key, 3, expected=owners[key], why="every node is up again")
        s.expect("owner", key, expected=owners[key][0])


@pytest.mark.clause("L3.4")
def test_a_node_added_again_after_removal_while_down_is_up() -> None:
    s = ring_of(NODES[:3], vnodes=2)
    s.mark_down("edge-b")
    s.remove("edge-b")
    s.add("edge-b")
    for key in [*keys(30), "edge-b#0", "edge-b#1"]:
        s.check_owner(key, why="edge-b was added again, so it is up")


# L3.5 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L3.5")
@pytest.mark.parametrize("method", ["mark_down", "mark_up"])
def test_marking_a_node_not_on_the_ring_raises_key_error(method: str) -> None:
    s = ring_of(NODES[:2], vnodes=2)
    s.raises(method, "edge-z", error=KeyError)
    s.raises(method, 5, error=TypeError)
    for key in keys(20):
        s.check_owner(key)


@pytest.mark.clause("L3.5")
def test_with_every_node_down_owner_raises_lookup_error() -> None:
    s = ring_of(NODES[:2], vnodes=2)
    s.mark_down("edge-a")
    s.mark_down("edge-b")
    s.raises("owner", "seg-1", error=LookupError)
    s.mark_up("edge-b")
    s.expect("owner", "seg-1", expected="edge-b")
