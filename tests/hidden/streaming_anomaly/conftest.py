"""A check that fails because a clause it rests on fails first says so (see anomaly_probes).

When a check fails, the clauses it rests on (anomaly_probes.DEPENDS) are probed: if one of them
fails on its own simplest example, the check's failure is reported as "not decided: L2.1 fails
first: ..." (status error, cited to L2.1) instead of a failure of the clause it tests. A check
that passes is never probed, and a call that hung is never called again here.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
from anomaly_probes import establish


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except Exception as failure:
        if item.get_closest_marker("performance"):
            raise  # a cost check times calls; what they answer is not its business
        try:
            establish(c for mark in item.iter_markers("clause") for c in mark.args)
        except Exception as cause:
            raise cause from failure
        raise
