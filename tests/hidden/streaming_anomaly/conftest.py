"""Every check first establishes the clauses it rests on (see anomaly_probes.DEPENDS)."""

from __future__ import annotations

import pytest
from anomaly_probes import establish


@pytest.fixture(autouse=True)
def _clauses_it_rests_on_hold(request: pytest.FixtureRequest) -> None:
    """Raise NotDecided, before the check runs, when a clause it rests on fails its probe."""
    if request.node.get_closest_marker("performance"):
        return  # a cost check times calls; what they answer is not its business
    establish(c for mark in request.node.iter_markers("clause") for c in mark.args)
