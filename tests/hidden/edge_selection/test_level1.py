"""Level 1 — the ring: named checks per clause, and properties against the oracle."""

from __future__ import annotations

import itertools

import pytest
from es_oracle import position
from es_support import Scenario, keys, repro_message
from hypothesis import given
from hypothesis import strategies as st
from solution import EdgeRing

# Explicit alphabets (ASCII, accented, CJK, emoji, '#'): drawing from all of Unicode would make
# Hypothesis build its character tables in every fresh grading process, a second of start-up.
NODE_NAMES = st.text(alphabet="abcé#-1", min_size=1, max_size=5)
KEY_ALPHABET = "abcxyz019#-/ é片🎬\u0000"
KEY_NAMES = st.text(alphabet=KEY_ALPHABET, max_size=8)


def ring_of(nodes: list[str], vnodes: int = 3) -> Scenario:
    s = Scenario(vnodes)
    for node in nodes:
        s.add(node)
    return s


def snippet(code: str) -> str:
    return f"from solution import EdgeRing\n{code}"


def expect_error(make: object, error: type[BaseException], code: str) -> None:
    try:
        made = make()  # type: ignore[operator]
    except error:
        return
    except Exception as other:
        raise AssertionError(
            repro_message(
                f"expected {error.__name__}, got {type(other).__name__}: {other}", snippet(code)
            )
        ) from other
    raise AssertionError(repro_message(f"expected {error.__name__}, got {made!r}", snippet(code)))


# L1.1 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize("vnodes", [0, -1, 10_001])
def test_a_vnodes_count_out_of_range_is_rejected_with_value_error(vnodes: int) -> None:
    expect_error(lambda: EdgeRing(vnodes), ValueError, f"EdgeRing({vnodes!r})")


@pytest.mark.clause("L1.1")
@pytest.mark.parametrize("vnodes", [1.5, 8.0, "8", True, None])
def test_a_vnodes_count_of_the_wrong_type_is_rejected_with_type_error(vnodes: object) -> None:
    expect_error(lambda: EdgeRing(vnodes), TypeError, f"EdgeRing({vnodes!r})")  # type: ignore[arg-type]


@pytest.mark.clause("L1.1", "L1.2")
@pytest.mark.parametrize("vnodes", [1, 10_000])
def test_the_smallest_and_largest_vnodes_counts_are_accepted(vnodes: int) -> None:
    s = ring_of(["edge-a", "edge-b"], vnodes)
    for key in [*keys(6), "edge-a#0", f"edge-b#{vnodes - 1}", f"edge-b#{vnodes}"]:
        s.check_owner(key)


@pytest.mark.clause("L1.1")
def test_the_default_is_64_virtual_nodes_per_node() -> None:
    s = Scenario()
    s.model.vnodes = 64
    for node in ["edge-a", "edge-b", "edge-c"]:
        s.add(node)
    for key in ["edge-a#63", "edge-b#63", "edge-c#63", "edge-a#64", "edge-b#64", *keys(100)]:
        s.check_owner(key, why="the default is vnodes=64")


# L1.2, L1.3 -----------------------------------------------------------------------------------


@pytest.mark.clause("L1.2")
def test_virtual_node_i_of_a_node_sits_at_the_position_of_node_hash_i() -> None:
    s = ring_of(["edge-a", "edge-b", "edge-c"], vnodes=4)
    for node, i in itertools.product(["edge-a", "edge-b", "edge-c"], range(5)):
        s.check_owner(f"{node}#{i}")


@pytest.mark.clause("L1.2")
def test_node_names_with_any_characters_are_hashed_as_utf8() -> None:
    s = ring_of(["édge-ü", "東京", "a#1", "a"], vnodes=3)
    for key in ["a#1#0", "a#1#2", "東京#0", "édge-ü#2", *keys(40)]:
        s.check_owner(key)


@pytest.mark.clause("L1.3")
def test_keys_are_hashed_as_utf8() -> None:
    s = ring_of(["edge-a", "edge-b", "edge-c"], vnodes=2)
    for key in ["é", "片段-1", "ü/segment-7", "", " ", "\u0000", "🎬", *keys(30, "ség")]:
        s.check_owner(key)


@pytest.mark.clause("L1.3")
def test_a_key_past_the_last_virtual_node_wraps_around_to_the_first() -> None:
    s = ring_of(["edge-a", "edge-b", "edge-c"], vnodes=1)
    last = max(position(f"{n}#0") for n in ["edge-a", "edge-b", "edge-c"])
    beyond = [k for k in keys(400) if position(k) > last][:5]
    assert beyond, "the check found no key past the last virtual node"
    for key in beyond:
        s.check_owner(
            key,
            why="past the last virtual node: the first one clockwise is the "
            "one with the smallest position",
        )


@pytest.mark.clause("L1.3")
def test_a_key_between_two_virtual_nodes_goes_to_the_next_one_clockwise() -> None:
    s = ring_of(["edge-a", "edge-b", "edge-c", "edge-d"], vnodes=2)
    for key in keys(200):
        s.check_owner(key)


@pytest.mark.clause("L1.2", "L1.3")
@given(
    nodes=st.lists(NODE_NAMES, min_size=1, max_size=5, unique=True),
    probes=st.lists(KEY_NAMES, min_size=1, max_size=10),
    vnodes=st.integers(min_value=1, max_value=4),
)
def test_owner_matches_the_oracle_on_random_rings(
    nodes: list[str], probes: list[str], vnodes: int
) -> None:
    s = ring_of(nodes, vnodes)
    for key in [*probes, *(f"{n}#{vnodes - 1}" for n in nodes)]:
        s.check_owner(key)


@pytest.mark.clause("L1.3")
def test_a_single_node_owns_every_key() -> None:
    s = ring_of(["edge-a"], vnodes=1)
    for key in ["", "x", *keys(20)]:
        s.expect("owner", key, expected="edge-a")


# L1.4 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L1.4")
def test_a_key_exactly_at_a_virtual_node_belongs_to_that_virtual_node() -> None:
    s = ring_of(["edge-a", "edge-b", "edge-c"], vnodes=3)
    for node, i in itertools.product(["edge-a", "edge-b", "edge-c"], range(3)):
        s.expect(
            "owner",
            f"{node}#{i}",
            expected=node,
            why=f"the key {node}#{i} sits exactly on virtual node {i} of {node}",
        )


# L1.5 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L1.5")
def test_the_order_of_adds_does_not_change_any_answer() -> None:
    nodes = ["edge-a", "edge-b", "edge-c", "edge-d"]
    for order in [nodes, nodes[::-1], [nodes[2], nodes[0], nodes[3], nodes[1]]]:
        s = ring_of(order, vnodes=3)
        for key in keys(60):
            s.check_owner(key, why="the answers depend only on the nodes on the ring")


@pytest.mark.clause("L1.5")
def test_nodes_added_and_removed_before_leave_no_trace() -> None:
    s = ring_of(["edge-a", "edge-x", "edge-b", "edge-y"], vnodes=3)
    s.remove("edge-x")
    s.add("edge-c")
    s.remove("edge-y")
    s.remove("edge-a")
    s.add("edge-a")
    for key in keys(60):
        s.check_owner(key)


@pytest.mark.clause("L1.5")
@given(
    nodes=st.lists(NODE_NAMES, min_size=1, max_size=5, unique=True),
    order=st.randoms(use_true_random=False),
    probes=st.lists(KEY_NAMES, max_size=8),
)
def test_any_history_leading_to_the_same_nodes_gives_the_same_answers(
    nodes: list[str], order: object, probes: list[str]
) -> None:
    s = Scenario(2)
    shuffled = list(nodes)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    for node in shuffled:
        s.add(node)
        s.add(node + "~extra")
    for node in shuffled:
        s.remove(node + "~extra")
    for key in [*probes, "k1", "k2"]:
        s.check_owner(key)


# L1.6 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L1.6")
def test_adding_a_node_twice_raises_value_error_and_changes_nothing() -> None:
    s = ring_of(["edge-a", "edge-b"], vnodes=2)
    s.raises("add", "edge-a", error=ValueError, why="edge-a is already on the ring")
    s.check_len()
    for key in keys(30):
        s.check_owner(key)


@pytest.mark.clause("L1.6")
def test_removing_a_node_not_on_the_ring_raises_key_error_and_changes_nothing() -> None:
    s = ring_of(["edge-a", "edge-b"], vnodes=2)
    s.raises("remove", "edge-z", error=KeyError)
    s.remove("edge-a")
    s.raises("remove", "edge-a", error=KeyError, why="edge-a was removed already")
    s.check_len()
    for key in keys(30):
        s.check_owner(key)


@pytest.mark.clause("L1.6")
def test_owner_on_an_empty_ring_raises_lookup_error() -> None:
    s = Scenario(2)
    s.raises("owner", "seg-1", error=LookupError)
    s.add("edge-a")
    s.remove("edge-a")
    s.raises("owner", "seg-1", error=LookupError, why="the only node was removed")
    s.add("edge-b")
    s.expect("owner", "seg-1", expected="edge-b")


# L1.7 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L1.7")
@pytest.mark.parametrize("method", ["add", "remove", "owner"])
@pytest.mark.parametrize("value", [5, None, b"edge-a", ["edge-a"]])
def test_a_node_or_key_that_is_not_a_str_raises_type_error(method: str, value: object) -> None:
    s = ring_of(["edge-a"], vnodes=2)
    s.raises(method, value, error=TypeError)
    s.check_len()
    s.check_owner("seg-1")


@pytest.mark.clause("L1.7")
def test_type_errors_come_before_any_other_check() -> None:
    s = Scenario(2)
    s.raises("owner", 5, error=TypeError, why="on an empty ring a non-str key is a TypeError")
    s.raises("remove", 5, error=TypeError, why="a non-str node is a TypeError, not a KeyError")


@pytest.mark.clause("L1.7")
def test_an_empty_node_name_raises_value_error_and_the_empty_key_is_a_key() -> None:
    s = ring_of(["edge-a", "edge-b"], vnodes=2)
    s.raises("add", "", error=ValueError)
    s.check_len()
    s.check_owner("", why="the empty key is a key like any other")


# L1.8 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L1.8")
def test_len_counts_nodes_not_virtual_nodes() -> None:
    s = Scenario(5)
    s.check_len()
    s.add("edge-a")
    s.add("edge-b")
    s.expect("__len__", expected=2, why="two nodes of 5 virtual nodes each")
    s.remove("edge-a")
    s.expect("__len__", expected=1)


@pytest.mark.clause("L1.8")
def test_in_is_true_exactly_for_the_nodes_on_the_ring() -> None:
    s = ring_of(["edge-a", "edge-b"], vnodes=2)
    s.expect("__contains__", "edge-a", expected=True)
    s.expect("__contains__", "edge-c", expected=False)
    s.expect("__contains__", "edge-a#0", expected=False, why="a virtual node is not a node")
    s.remove("edge-a")
    s.expect("__contains__", "edge-a", expected=False, why="edge-a was removed")


@pytest.mark.clause("L1.8")
@pytest.mark.parametrize("value", [5, None, b"edge-a", ("edge-a",)])
def test_in_of_a_value_that_is_not_a_str_is_false(value: object) -> None:
    s = ring_of(["edge-a"], vnodes=2)
    s.expect("__contains__", value, expected=False)
