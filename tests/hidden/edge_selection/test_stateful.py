"""Random call sequences against the oracle, one machine per level. A failure prints the shrunk
call sequence as code you can run."""

from __future__ import annotations

import pytest
from es_preconditions import BASE
from es_support import Scenario
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

NODES = st.sampled_from(["edge-a", "edge-b", "edge-c", "edge-d", "é#1"])
KEYS = st.sampled_from([f"seg-{i}" for i in range(12)] + ["edge-a#0", "edge-b#1", ""])
WEIGHTS = st.sampled_from([1, 2, 0.5, 1.5, 2.5])


class RingRules(RuleBasedStateMachine):
    """add / remove / owner / len / in, checked against the oracle after every call."""

    def __init__(self) -> None:
        super().__init__()
        self.scenario: Scenario | None = None

    @property
    def s(self) -> Scenario:
        assert self.scenario is not None
        return self.scenario

    @initialize(vnodes=st.integers(1, 4))
    def create(self, vnodes: int) -> None:
        self.scenario = Scenario(vnodes)

    def on_ring(self, node: str) -> bool:
        return node in self.s.model.counts

    @rule(node=NODES)
    def add(self, node: str) -> None:
        if self.on_ring(node):
            self.s.raises("add", node, error=ValueError, why="the node is on the ring")
        else:
            self.s.add(node)

    @rule(node=NODES)
    def remove(self, node: str) -> None:
        if self.on_ring(node):
            self.s.remove(node)
        else:
            self.s.raises("remove", node, error=KeyError, why="the node is not on the ring")

    @rule(key=KEYS)
    def owner(self, key: str) -> None:
        self.s.check_owner(key)

    @rule(node=NODES)
    def contains(self, node: str) -> None:
        self.s.expect("__contains__", node, expected=self.on_ring(node))

    @invariant()
    def length(self) -> None:
        if self.scenario is not None:
            self.s.check_len()


class WeightedRules(RingRules):
    @rule(node=NODES, weight=WEIGHTS)
    def add_weighted(self, node: str, weight: float) -> None:
        if not self.on_ring(node):
            self.s.add(node, weight)


class FailoverRules(WeightedRules):
    @rule(key=KEYS, n=st.integers(1, 6))
    def owners(self, key: str, n: int) -> None:
        self.s.check_owners(key, n)

    @precondition(lambda self: self.scenario is not None and bool(self.scenario.model.counts))
    @rule(data=st.data())
    def mark_down(self, data: st.DataObject) -> None:
        self.s.mark_down(data.draw(st.sampled_from(sorted(self.s.model.counts))))

    @precondition(lambda self: self.scenario is not None and bool(self.scenario.model.counts))
    @rule(data=st.data())
    def mark_up(self, data: st.DataObject) -> None:
        self.s.mark_up(data.draw(st.sampled_from(sorted(self.s.model.counts))))


class LoadRules(FailoverRules):
    @initialize(vnodes=st.integers(1, 3), factor=st.sampled_from([1, 1.25, 2]))
    def create(self, vnodes: int, factor: float) -> None:  # type: ignore[override]
        self.scenario = Scenario(vnodes, factor)

    @rule(key=KEYS)
    def assign(self, key: str) -> None:
        self.s.assign(key)

    @rule(key=KEYS)
    def release(self, key: str) -> None:
        self.s.release(key)

    @invariant()
    def loads(self) -> None:
        if self.scenario is not None:
            self.s.check_loads()


@pytest.mark.clause("L1.2", "L1.3", "L1.4", "L1.5", "L1.6", "L1.8")
def test_random_adds_and_removes_behave_like_the_oracle() -> None:
    run_state_machine_as_test(RingRules)


@pytest.mark.clause("L2.1", "L2.3", "L2.4")
# its rules also make rejected adds, of nodes of any weight (L1.6, L2.2)
@pytest.mark.needs(*BASE, "L1.6", "L1.8", "L2.2")
def test_random_calls_with_weights_behave_like_the_oracle() -> None:
    run_state_machine_as_test(WeightedRules)


@pytest.mark.clause("L3.1", "L3.3", "L3.4")
# its rules are those of the levels below too (weights, rejected adds, moves of keys)
@pytest.mark.needs(*BASE, "L1.6", "L1.8", "L2.1", "L2.2", "L2.3", "L2.4")
def test_random_calls_with_replicas_and_failover_behave_like_the_oracle() -> None:
    run_state_machine_as_test(FailoverRules)


@pytest.mark.clause("L4.2", "L4.3", "L4.4", "L4.5", "L4.6")
# its rules are those of the levels below too (weights, rejected adds, replicas, failover)
@pytest.mark.needs(*BASE, "L1.6", "L1.8", "L2.1", "L2.2", "L2.3", "L2.4", "L3.1", "L3.3", "L3.4")
def test_random_calls_with_assignments_behave_like_the_oracle() -> None:
    run_state_machine_as_test(LoadRules)
