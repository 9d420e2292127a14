"""A check that fails because a clause it rests on fails first says so (see rc_preconditions).

When a check fails, the clauses it rests on are probed: if one of them fails on its own simplest
example, the check's failure is reported as "not decided: L1.5 fails first: ..." (status error,
cited to L1.5) instead of a failure of the clause it tests. A check that passes is never probed.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from rc_preconditions import establish, preconditions


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(*ids): the clauses this check rests on (instead of the default)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Exception as failure:
        if item.get_closest_marker("performance"):
            raise  # a cost check times calls; what they answer is not its business
        cited = [c for mark in item.iter_markers("clause") for c in mark.args]
        needs = item.get_closest_marker("needs")
        establish(preconditions(cited, None if needs is None else needs.args), cause=failure)
        raise
