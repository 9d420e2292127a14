"""`kata.reach`: which of a learner's tests a bug run tries first, read from the sources."""

from __future__ import annotations

from kata.reach import Prior, changed_functions, names_used_by_tests, reached, reaches

REFERENCE = """
LIMIT = 10


class Ring:
    def __init__(self) -> None:
        self.nodes: list[str] = []

    def _index(self, key: str) -> int:
        return hash(key) % max(len(self.nodes), 1)

    def owner(self, key: str) -> str:
        return self.nodes[self._index(key)]

    def add(self, node: str) -> None:
        self.nodes.append(node)

    def __len__(self) -> int:
        return len(self.nodes)
"""

TESTS = """
import time
import pytest
from solution import Ring


@pytest.fixture
def ring():
    r = Ring()
    r.add("a")
    return r


def test_owner_of_a_key_is_a_node(ring):
    assert ring.owner("k") == "a"


def test_len_counts_the_nodes(ring):
    assert len(ring) == 1


def test_owner_cost_stays_flat(ring):
    start = time.perf_counter()
    ring.owner("k")
    assert time.perf_counter() - start < 1


def test_nothing_at_all():
    assert True


class TestGroup:
    def test_owner_again(self):
        assert Ring().owner
"""


def test_changed_functions_names_the_methods_a_bug_edits() -> None:
    planted = REFERENCE.replace("% max(len(self.nodes), 1)", "% 1")
    assert changed_functions(REFERENCE, planted) == {"_index"}


def test_a_change_outside_every_function_may_reach_any_test() -> None:
    assert changed_functions(REFERENCE, REFERENCE.replace("LIMIT = 10", "LIMIT = 11")) is None
    assert changed_functions(REFERENCE, REFERENCE + "\ndef broken(:\n") is None


def test_a_changed_helper_is_reached_through_the_methods_that_call_it() -> None:
    names = reached(REFERENCE, frozenset({"_index"}))
    assert {"_index", "owner"} <= names and "add" not in names


def test_special_methods_are_reached_through_their_syntax_and_constructors_by_the_class() -> None:
    assert "len" in reached(REFERENCE, frozenset({"__len__"}))
    assert "Ring" in reached(REFERENCE, frozenset({"__init__"}))
    assert "Ring" not in reached(REFERENCE, frozenset({"add"}))


def test_a_test_reaches_what_its_fixtures_and_helpers_call() -> None:
    tests = names_used_by_tests(TESTS)
    assert tests is not None
    owner = frozenset({"owner"})
    assert reaches("t.py::test_owner_of_a_key_is_a_node", tests, frozenset({"add"}))
    assert reaches("t.py::TestGroup::test_owner_again", tests, owner)
    assert not reaches("t.py::test_nothing_at_all", tests, owner)
    assert reaches("t.py::test_not_in_the_file[3]", tests, owner), "an unknown test may"


def test_the_likely_catchers_come_first_timing_tests_first_for_a_cost_clause() -> None:
    ids = [
        "t.py::test_nothing_at_all",
        "t.py::test_owner_cost_stays_flat",
        "t.py::test_len_counts_the_nodes",
        "t.py::test_owner_of_a_key_is_a_node",
    ]
    clauses = {"L1.1": "owner of a key is one of the nodes", "L1.2": "owner costs O(1)"}
    prior = Prior(REFERENCE, TESTS, ids, clauses, cost_clauses=("L1.2",))
    planted = REFERENCE.replace("return self.nodes[self._index(key)]", "return self.nodes[0]")
    by_words = sorted(ids, key=prior.rank(planted, "L1.1"))
    assert by_words[0] == "t.py::test_owner_of_a_key_is_a_node"
    assert by_words[-1] == "t.py::test_nothing_at_all"
    assert sorted(ids, key=prior.rank(planted, "L1.2"))[0] == "t.py::test_owner_cost_stays_flat"


def test_an_unreadable_test_file_leaves_the_order_to_the_other_keys() -> None:
    ids = ["t.py::test_b", "t.py::test_a"]
    prior = Prior(REFERENCE, "def broken(:\n", ids, {})
    key = prior.rank(REFERENCE.replace("LIMIT = 10", "LIMIT = 1"), "L1.1")
    assert key(ids[0]) == key(ids[1])
