"""What a hidden check can say besides pass and fail: "not decided, another clause fails first".

A check tests its own clause, but often only once another clause holds: "reading an entry does
not extend its TTL" (L1.6) can only be judged on a cache whose entries expire when L1.5 says. Such
a check establishes its precondition first and, when it does not hold, raises `NotDecided` with
the clauses that failed::

    from kata.verdicts import NotDecided

    if cache.get("p1") is not None:
        raise NotDecided("L1.5", reason="the entry is still fresh at exactly stored time + ttl")

The runner's pytest plugin reports such a check with status ``error``, kind ``correctness``, the
cause clauses as its ``clauses`` and the message ``not decided: L1.5 fails first: <reason>``, so
the failing-clause set of a grade names the clauses that are broken and not their knock-ons.
A check that tests several clauses at once raises `Breaks` with the clause its failing example
breaks, when it can tell, and is cited to that clause only.
"""

from __future__ import annotations

from collections.abc import Sequence


class NotDecided(Exception):  # noqa: N818 - a verdict the plugin records, not an error
    """A check could not decide its own clause because `clauses` fail first (see the module)."""

    def __init__(self, *clauses: str, reason: str) -> None:
        if not clauses:
            raise ValueError("NotDecided needs the id of at least one clause that fails first")
        self.clauses: tuple[str, ...] = tuple(clauses)
        self.reason = reason
        super().__init__(not_decided_message(self.clauses, reason))


def not_decided_message(clauses: Sequence[str], reason: str) -> str:
    """``not decided: L1.5 fails first: <reason>`` (``L1.5, L2.2 fail first`` for several)."""
    verb = "fails" if len(clauses) == 1 else "fail"
    return f"not decided: {', '.join(clauses)} {verb} first: {reason}"


class Breaks(AssertionError):  # noqa: N818 - a verdict the plugin records, not an error
    """A failing example of a check that tests several clauses, naming the clauses this example
    breaks (a model-based check knows which rule gave the answer it expected). The runner's
    plugin reports the check as failed and cites these clauses instead of all the check's."""

    def __init__(self, *clauses: str, message: str) -> None:
        if not clauses:
            raise ValueError("Breaks needs the id of at least one clause")
        self.clauses: tuple[str, ...] = tuple(clauses)
        super().__init__(message)
