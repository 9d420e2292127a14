"""A check that fails because a clause it rests on fails first says so (see es_preconditions).

When a check fails, the clauses it rests on are probed: if one of them fails its probe, the
check's failure is reported as "not decided: L1.2 fails first: ..." (status error, cited to L1.2)
instead of a failure of the clause it tests. A check of several clauses (a stateful machine, a
property mixing rules) reports its failing example under the clause whose rule gave the expected
answer (`es_support.Scenario.rule`), once the clauses that example rests on hold. A check that
passes is never probed.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from es_preconditions import establish, narrow, preconditions


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(*ids): the clauses this check rests on (instead of the default)"
    )


def _example(failure: BaseException) -> tuple[str, BaseException] | None:
    """The clause a failed Scenario expectation names, with that failure (a group's first)."""
    if isinstance(failure, BaseExceptionGroup):
        found = (_example(member) for member in failure.exceptions)
        return next((example for example in found if example), None)
    clause = getattr(failure, "clause", None)
    return (clause, failure) if isinstance(clause, str) else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Exception as failure:
        if item.get_closest_marker("performance"):
            raise  # a cost check times calls; what they answer is not its business
        cited = [c for mark in item.iter_markers("clause") for c in mark.args]
        example = _example(failure)
        marker = item.get_closest_marker("needs")
        needs = None if marker is None else marker.args
        if len(cited) > 1 and example is not None:
            narrow(cited, *example, needs)
        establish(preconditions(cited, needs), cause=failure)
        raise
