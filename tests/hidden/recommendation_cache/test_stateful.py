"""Random call sequences against a plain model under a fake clock, one machine per level.

The clock moves by small steps and also jumps exactly onto an entry's expiry time (and just
before it), where off-by-one mistakes live. Times and TTLs are exact binary fractions. A failure
prints the shrunk call sequence as code you can run.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from rc_model import ModelCache
from rc_support import Scenario

PROFILES = st.sampled_from(["p1", "p2", "p3", "p4", "p5"])
TITLES = st.sampled_from(["t1", "t2", "t3", "t4"])
ROWS = st.lists(TITLES, max_size=3)
TTLS = st.sampled_from([1.0, 2.0, 2.5])
STEPS = st.sampled_from([0.25, 0.5, 1.0, 1.75])
PICKS = st.integers(min_value=0, max_value=7)


class CacheRules(RuleBasedStateMachine):
    """put / get / invalidate / len / clock moves, checked against the model after every call."""

    def __init__(self) -> None:
        super().__init__()
        self.scenario: Scenario | None = None
        self.model: ModelCache | None = None

    def start(self, capacity: int, ttl: float) -> None:
        self.scenario = Scenario(capacity=capacity, ttl=ttl)
        self.model = ModelCache(capacity, ttl)

    @property
    def s(self) -> Scenario:
        assert self.scenario is not None
        return self.scenario

    @property
    def m(self) -> ModelCache:
        assert self.model is not None
        return self.model

    @property
    def now(self) -> float:
        return self.s.clock.now

    @rule(profile=PROFILES, row=ROWS)
    def put(self, profile: str, row: list[str]) -> None:
        self.s.call("put", profile, list(row))
        self.m.put(profile, row, self.now)

    # Each rule compares one answer with the model's, and on a difference names the clause the
    # model's answer follows from (`ModelCache.reason`): the clause the failing example breaks.

    @rule(profile=PROFILES)
    def get(self, profile: str) -> None:
        clause, why = self.m.reason(profile, self.now)
        replaced = profile in self.m.replaced
        expected = self.m.get(profile, self.now)

        def blame(got: object) -> tuple[str, str]:
            if got is not None and expected is not None:
                if type(got) is not tuple:
                    return "L1.2", "get returns the stored row as a tuple"
                if replaced:
                    return "L1.4", "put replaces the row of a profile"
                return "L1.2", "get returns a tuple equal to the row that was put"
            return clause, why

        self.s.expect("get", profile, expected=expected, blame=blame)

    @rule(profile=PROFILES)
    def invalidate(self, profile: str) -> None:
        clause, why = self.m.reason(profile, self.now)
        if clause not in ("L1.8", "L2.3", "L3.1", "L3.3"):  # not a removal: L1.8's own answer
            clause, why = "L1.8", f"True iff a fresh entry was removed ({why})"
        self.s.expect("invalidate", profile, expected=self.m.invalidate(profile, self.now),
                      blame=lambda got: (clause, why))

    @rule()
    def length(self) -> None:
        capacity = self.m.capacity

        def blame(got: object) -> tuple[str, str]:
            if isinstance(got, int) and got > capacity:
                return "L2.1", f"the cache holds at most {capacity} entries"
            return "L1.9", "len counts the fresh entries only"

        self.s.expect("__len__", expected=self.m.length(self.now), blame=blame)

    @rule(step=STEPS)
    def advance(self, step: float) -> None:
        self.s.at(self.now + step)

    @precondition(lambda self: self.model is not None and self.model.length(self.now) > 0)
    @rule(pick=PICKS)
    def advance_to_an_expiry(self, pick: int) -> None:
        expiries = self.m.expiries(self.now)
        self.s.at(expiries[pick % len(expiries)])

    @precondition(lambda self: self.model is not None and self.model.length(self.now) > 0)
    @rule(pick=PICKS)
    def advance_to_just_before_an_expiry(self, pick: int) -> None:
        expiries = self.m.expiries(self.now)
        self.s.at(max(self.now, expiries[pick % len(expiries)] - 0.25))


class Level1Machine(CacheRules):
    """The capacity is never reached: 5 profiles, capacity 64."""

    @initialize(ttl=TTLS)
    def create(self, ttl: float) -> None:
        self.start(64, ttl)


class Level2Machine(CacheRules):
    """Adds eviction: a small capacity with more profiles than fit."""

    @initialize(ttl=TTLS, capacity=st.integers(min_value=1, max_value=4))
    def create(self, ttl: float, capacity: int) -> None:
        self.start(capacity, ttl)


class Level3Machine(Level2Machine):
    """Adds invalidate_title and invalidate_all."""

    @rule(title=TITLES)
    def invalidate_title(self, title: str) -> None:
        self.s.expect("invalidate_title", title, expected=self.m.invalidate_title(title, self.now),
                      blame=lambda got: ("L3.1", f"it removes and counts the fresh entries that "
                                                 f"list {title!r}"))

    @rule()
    def invalidate_all(self) -> None:
        self.s.call("invalidate_all")
        self.m.invalidate_all()


# Each machine first probes every clause it tests and rests on (rc_preconditions): a clause
# that fails on its own simplest example is reported by its named checks, and the machine says
# "not decided" rather than fail under all its clauses for it.
@pytest.mark.clause("L1.2", "L1.4", "L1.5", "L1.6", "L1.7", "L1.8", "L1.9")
@pytest.mark.needs("L1.2", "L1.4", "L1.5", "L1.6", "L1.7", "L1.8", "L1.9")
def test_random_calls_without_eviction_behave_like_the_plain_model() -> None:
    run_state_machine_as_test(Level1Machine)


@pytest.mark.clause("L2.1", "L2.2", "L2.3", "L2.4")
@pytest.mark.needs("L1.2", "L1.4", "L1.5", "L1.6", "L1.7", "L1.8", "L1.9",
                   "L2.1", "L2.2", "L2.3", "L2.4")
def test_random_calls_with_eviction_behave_like_the_plain_model() -> None:
    run_state_machine_as_test(Level2Machine)


@pytest.mark.clause("L3.1", "L3.3")
@pytest.mark.needs("L1.2", "L1.4", "L1.5", "L1.6", "L1.7", "L1.8", "L1.9",
                   "L2.1", "L2.2", "L2.3", "L2.4", "L3.1", "L3.3")
def test_random_calls_with_title_invalidation_behave_like_the_plain_model() -> None:
    run_state_machine_as_test(Level3Machine)
