"""Level 4 — bounded load: named checks, properties against the oracle, and threads."""

from __future__ import annotations

import math
import threading

import pytest
from es_support import Scenario, keys, repro_message
from hypothesis import given
from hypothesis import strategies as st
from solution import EdgeRing

NODES = ["edge-a", "edge-b", "edge-c", "edge-d"]
FACTORS = st.sampled_from([1, 1.25, 1.5, 2])
TIMEOUT = 20.0  # seconds a thread may take; a correct solution needs milliseconds


def ring_of(nodes: list[str], vnodes: int = 3, load_factor: float = 1.25) -> Scenario:
    s = Scenario(vnodes, load_factor)
    for node in nodes:
        s.add(node)
    return s


# L4.1 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L4.1")
@pytest.mark.parametrize("factor", [0.99, 0, -1, math.nan, math.inf, 1000.5, 10**400])
def test_a_load_factor_out_of_range_raises_value_error(factor: float) -> None:
    try:
        EdgeRing(4, factor)
    except ValueError:
        return
    except Exception as error:
        raise AssertionError(
            repro_message(
                f"expected ValueError, got {type(error).__name__}: {error}",
                f"from solution import EdgeRing\nEdgeRing(4, {factor!r})",
            )
        ) from error
    raise AssertionError(
        repro_message(
            "expected ValueError, got a ring",
            f"from solution import EdgeRing\nEdgeRing(4, {factor!r})",
        )
    )


@pytest.mark.clause("L4.1")
@pytest.mark.parametrize("factor", ["1.5", True, None])
def test_a_load_factor_of_the_wrong_type_raises_type_error(factor: object) -> None:
    try:
        EdgeRing(4, factor)  # type: ignore[arg-type]
    except TypeError:
        return
    except Exception as error:
        raise AssertionError(
            f"EdgeRing(4, {factor!r}): expected TypeError, got {type(error).__name__}"
        ) from error
    raise AssertionError(f"EdgeRing(4, {factor!r}): expected TypeError, got a ring")


@pytest.mark.clause("L4.1", "L4.2")
def test_the_default_load_factor_is_1_25_and_the_extremes_are_accepted() -> None:
    for args in [(3,), (3, 1), (3, 1000), (3, 1.25)]:
        s = Scenario(*args)
        for node in NODES:
            s.add(node)
        for key in keys(40):
            s.assign(key, why="the default load factor is 1.25")
        s.check_loads()


# L4.2 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L4.2")
def test_keys_go_to_their_owner_while_it_has_room() -> None:
    s = ring_of(NODES, load_factor=1000)
    for key in keys(30):
        owner = s.model.owner(key)
        assert s.model.assign(key) == owner
        s.expect("assign", key, expected=owner, why="with load factor 1000 every owner has room")
    s.check_loads()


@pytest.mark.clause("L4.2")
@pytest.mark.parametrize("factor", [1, 1.25, 1.5, 2])
def test_a_full_owner_sends_the_key_on_clockwise(factor: float) -> None:
    s = ring_of(NODES, load_factor=factor)
    for key in keys(60):
        s.assign(key)
    s.check_loads()


@pytest.mark.clause("L4.2")
def test_the_bound_counts_the_key_being_placed() -> None:
    # With load factor 1 and 2 nodes, the first key has bound ceil(1 * 1 / 2) = 1, the second
    # ceil(2 / 2) = 1, the third ceil(3 / 2) = 2: computed without the key it would be 0, 1, 1.
    s = ring_of(["edge-a", "edge-b"], vnodes=2, load_factor=1)
    for key in keys(9):
        s.assign(key)
        s.check_loads()


@pytest.mark.clause("L4.2")
def test_the_bound_counts_only_the_up_nodes() -> None:
    # Three nodes, one of them down, load factor 1: u is 2, so the bound is ceil(m / 2); counted
    # with the down node it would be ceil(m / 3), and the two up nodes would be full at m = 3.
    s = ring_of(["edge-a", "edge-b", "edge-c"], vnodes=2, load_factor=1)
    s.mark_down("edge-c")
    for key in keys(12):
        s.assign(key)
        s.check_loads()


@pytest.mark.clause("L1.6", "L4.2")
def test_load_of_a_node_without_keys_is_zero_and_of_an_unknown_node_an_error() -> None:
    s = ring_of(NODES[:2])
    s.expect("load", "edge-a", expected=0)
    s.raises("remove", "edge-z", error=KeyError)
    s.raises(
        "load",
        "edge-z",
        error=KeyError,
        why="edge-z is not on the ring (the failed remove changed nothing)",
    )
    s.raises("load", 5, error=TypeError)
    s.remove("edge-b")
    s.raises("load", "edge-b", error=KeyError, why="edge-b was removed")


@pytest.mark.clause("L4.2")
@given(
    factor=FACTORS,
    count=st.integers(1, 5),
    vnodes=st.integers(1, 3),
    probes=st.lists(st.sampled_from(keys(25)), max_size=30),
)
def test_assign_matches_the_oracle(
    factor: float, count: int, vnodes: int, probes: list[str]
) -> None:
    s = ring_of([f"n{i}" for i in range(count)], vnodes, factor)
    for key in probes:
        s.assign(key)
    s.check_loads()


# L4.3 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L4.3")
def test_assigning_an_assigned_key_returns_its_node_and_changes_nothing() -> None:
    s = ring_of(NODES, load_factor=1)
    for key in keys(12):
        s.assign(key)
    for key in keys(12):
        s.assign(key, why="the key is assigned already")
    s.check_loads(why="assigning an assigned key again changes no load")
    for key in keys(16, "new"):
        s.assign(key, why="the repeated assigns did not count as keys")
    s.check_loads()


@pytest.mark.clause("L4.3")
def test_assign_with_no_node_up_raises_lookup_error_and_assigns_nothing() -> None:
    s = Scenario(2, 1.25)
    s.raises("assign", "seg-1", error=LookupError)
    s.add("edge-a")
    s.mark_down("edge-a")
    s.raises("assign", "seg-1", error=LookupError, why="the only node is down")
    s.raises("assign", 5, error=TypeError)
    s.mark_up("edge-a")
    s.expect("load", "edge-a", expected=0, why="nothing was assigned")
    s.raises("release", "seg-1", error=KeyError, why="nothing was assigned")


# L4.4 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L4.4")
def test_release_returns_the_node_and_frees_its_place() -> None:
    s = ring_of(NODES, load_factor=1)
    for key in keys(8):
        s.assign(key)
    for key in keys(8)[::2]:
        s.release(key)
    s.check_loads()
    s.release("seg-0")
    s.raises("release", "never", error=KeyError)
    s.raises("release", 5, error=TypeError)
    for key in keys(8, "new"):
        s.assign(key, why="released keys no longer count in m")
    s.check_loads()


# L4.5, L4.6 -----------------------------------------------------------------------------------


def placements(s: Scenario, probes: list[str]) -> dict[str, str]:
    return {key: s.call("assign", key) for key in probes}


@pytest.mark.clause("L4.5")
def test_adding_marking_up_and_releasing_move_no_key() -> None:
    s = ring_of(NODES[:3], load_factor=1)
    probes = keys(12)
    for key in probes:
        s.assign(key)
    s.mark_down("edge-a")
    held = dict(s.model.placed)
    s.add("edge-x")
    s.mark_up("edge-a")
    s.release(probes[0])
    del held[probes[0]]
    for key, node in held.items():
        s.expect("assign", key, expected=node, why="add, mark_up and release move no key")


@pytest.mark.clause("L4.5", "L4.6")
@pytest.mark.parametrize("leave", ["remove", "mark_down"])
def test_a_node_that_leaves_moves_only_its_own_keys(leave: str) -> None:
    s = ring_of(NODES, load_factor=1.25)
    for key in keys(24):
        s.assign(key)
    held = dict(s.model.placed)
    getattr(s, leave)("edge-b")
    for key, node in held.items():
        if node != "edge-b":
            s.expect("assign", key, expected=node, why=f"only edge-b's keys move on {leave}")
    s.check_loads()


@pytest.mark.clause("L4.6")
@pytest.mark.parametrize("leave", ["remove", "mark_down"])
def test_the_keys_of_a_node_that_leaves_are_assigned_again_in_assignment_order(leave: str) -> None:
    s = ring_of(NODES, vnodes=2, load_factor=1)
    for key in keys(20):
        s.assign(key)
    getattr(s, leave)("edge-a")
    s.check_loads(why=f"edge-a's keys were assigned again in order after {leave}")
    for key in keys(20):
        s.assign(key, why="the key was assigned again where L4.6 puts it")
    getattr(s, leave)("edge-c")
    for key in keys(20):
        s.assign(key)


@pytest.mark.clause("L4.6")
@pytest.mark.parametrize("leave", ["remove", "mark_down"])
def test_the_keys_of_the_last_up_node_are_released_when_it_leaves(leave: str) -> None:
    s = ring_of(["edge-a", "edge-b"], load_factor=1.5)
    for key in keys(6):
        s.assign(key)
    s.mark_down("edge-a")
    getattr(s, leave)("edge-b")
    for key in keys(6):
        s.raises("release", key, error=KeyError, why="no node is up, so the keys were released")
    s.mark_up("edge-a")
    s.expect("load", "edge-a", expected=0)
    for key in keys(6):
        s.assign(key, why="the key was released, so it is placed anew")
    s.check_loads()


@pytest.mark.clause("L4.5", "L4.6")
@given(
    factor=FACTORS,
    vnodes=st.integers(1, 3),
    ops=st.lists(
        st.tuples(
            st.sampled_from(["assign", "release", "remove", "mark_down", "mark_up", "add"]),
            st.integers(0, 19),
        ),
        max_size=40,
    ),
)
def test_random_calls_match_the_oracle(
    factor: float, vnodes: int, ops: list[tuple[str, int]]
) -> None:
    s = ring_of(NODES, vnodes, factor)
    for op, pick in ops:
        node, key = f"edge-{'abcdef'[pick % 6]}", f"seg-{pick}"
        if op == "assign":
            s.assign(key)
        elif op == "release":
            s.release(key)
        elif op == "add" and node not in s.model.counts:
            s.add(node)
        elif op != "add" and node in s.model.counts:
            getattr(s, op)(node)
    s.check_loads()
    for key in keys(20):
        if key in s.model.placed:
            s.assign(key)


# L4.7 -----------------------------------------------------------------------------------------


@pytest.mark.clause("L4.7")
@given(
    factor=FACTORS,
    vnodes=st.integers(1, 3),
    ops=st.lists(
        st.tuples(
            st.sampled_from(["assign", "assign", "assign", "remove", "mark_down"]),
            st.integers(0, 39),
        ),
        max_size=50,
    ),
)
def test_no_up_node_holds_more_than_the_bound(
    factor: float, vnodes: int, ops: list[tuple[str, int]]
) -> None:
    s = ring_of([*NODES, "edge-e"], vnodes, factor)
    for op, pick in ops:
        node = [*NODES, "edge-e"][pick % 5]
        if op == "assign":
            s.assign(f"seg-{pick}")
        elif node in s.model.counts and len(s.model.up()) > 1:
            getattr(s, op)(node)
        up = s.model.up()
        limit = math.ceil(factor * len(s.model.placed) / len(up))
        for each in up:
            got = s.call("load", each)
            if got > limit:
                s.fail(
                    f"ring.load({each!r}) is {got}, over the bound ceil({factor} * "
                    f"{len(s.model.placed)} / {len(up)}) = {limit}"
                )


@pytest.mark.clause("L4.7")
def test_owner_and_owners_do_not_depend_on_assignments() -> None:
    s = ring_of(NODES, load_factor=1)
    for key in keys(30):
        s.assign(key)
    for key in keys(30):
        s.check_owner(key, why="owner ignores loads")
        s.check_owners(key, 2, why="owners ignores loads")


# L4.8 -----------------------------------------------------------------------------------------


def run_threads(work: list[threading.Thread], what: str, snippet: str) -> None:
    for thread in work:
        thread.start()
    for thread in work:
        thread.join(TIMEOUT)
        if thread.is_alive():
            raise AssertionError(
                repro_message(
                    f"{what}: a thread did not finish within {TIMEOUT:g} s (a deadlock?)", snippet
                )
            )


@pytest.mark.clause("L4.8")
def test_concurrent_assigns_of_one_key_agree_and_count_it_once() -> None:
    # Whatever the order the calls take effect in, the first places the key and the others
    # find it assigned (L4.3): every thread gets the same node and the key counts once.
    snippet = (
        "from solution import EdgeRing\nring = EdgeRing(4, 1.25)\n"
        "# add 4 nodes; 8 threads call ring.assign('hot') 200 times each"
    )
    for round_ in range(20):
        ring = EdgeRing(4, 1.25)
        for node in NODES:
            ring.add(node)
        got: list[str] = []
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def hammer(
            ring: EdgeRing = ring,
            got: list[str] = got,
            errors: list[BaseException] = errors,
            start: threading.Barrier = start,
            round_: int = round_,
        ) -> None:
            try:
                start.wait(TIMEOUT)
                got.extend(ring.assign(f"hot-{round_}") for _ in range(200))
            except BaseException as error:
                errors.append(error)

        run_threads(
            [threading.Thread(target=hammer, daemon=True) for _ in range(8)],
            "8 threads assigning one key",
            snippet,
        )
        if errors:
            raise AssertionError(repro_message(f"assign raised {errors[0]!r}", snippet))
        if len(set(got)) != 1:
            raise AssertionError(repro_message(f"one key was put on {sorted(set(got))}", snippet))
        total = sum(ring.load(node) for node in NODES)
        if total != 1:
            raise AssertionError(repro_message(f"the loads add up to {total}, expected 1", snippet))


@pytest.mark.clause("L4.8")
def test_concurrent_calls_keep_every_key_counted_once_and_within_the_bound() -> None:
    # Only assigns of new keys: in every order they can take effect in, m only grows, so no
    # bound ever decreases and each node stayed within the bound of the call that filled it,
    # hence within the final bound; and every key is on exactly the node assign returned.
    snippet = (
        "from solution import EdgeRing\nring = EdgeRing(3, 1.25)\n"
        "# add 5 nodes; 4 threads assign 300 distinct keys each while 2 threads call "
        "owner and owners"
    )
    ring = EdgeRing(3, 1.25)
    nodes = [*NODES, "edge-e"]
    for node in nodes:
        ring.add(node)
    placed: dict[str, str] = {}
    errors: list[BaseException] = []
    done = threading.Event()

    def assigner(worker: int) -> None:
        try:
            for key in keys(300, f"w{worker}"):
                placed[key] = ring.assign(key)
        except BaseException as error:
            errors.append(error)

    def reader() -> None:
        try:
            while not done.is_set():
                for key in keys(50):
                    ring.owner(key)
                    ring.owners(key, 2)
        except BaseException as error:
            errors.append(error)

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        run_threads(
            [threading.Thread(target=assigner, args=(w,), daemon=True) for w in range(4)],
            "4 threads assigning keys",
            snippet,
        )
    finally:
        done.set()
    for thread in readers:
        thread.join(TIMEOUT)
    if errors:
        raise AssertionError(repro_message(f"a call raised {errors[0]!r}", snippet))
    for key, node in placed.items():
        if ring.assign(key) != node:
            raise AssertionError(repro_message(f"{key!r} moved from {node!r}", snippet))
    limit = math.ceil(1.25 * len(placed) / len(nodes))
    loads = {node: ring.load(node) for node in nodes}
    if sum(loads.values()) != len(placed) or max(loads.values()) > limit:
        raise AssertionError(
            repro_message(
                f"loads {loads} for {len(placed)} keys: expected them to add up to {len(placed)} "
                f"and none over ceil(1.25 * {len(placed)} / 5) = {limit}",
                snippet,
            )
        )
    for node in nodes:
        mine = sum(1 for holder in placed.values() if holder == node)
        if loads[node] != mine:
            raise AssertionError(
                repro_message(
                    f"ring.load({node!r}) is {loads[node]}, but assign returned it for {mine} keys",
                    snippet,
                )
            )
