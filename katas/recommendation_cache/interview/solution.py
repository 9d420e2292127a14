"""A per-profile cache of recommended titles with a TTL and explicit invalidation.
See README.md for the statement; clause ids are cited below."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


class RecommendationCache:
    """Recommended titles per profile, each entry fresh for `ttl` seconds.

    State the complexity of each method in its docstring.
    """

    def __init__(
        self, capacity: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """`capacity` must be an int >= 1 and `ttl` a finite number > 0 (int or float), with
        entries timed by `clock`, which never goes backwards. ValueError for an out-of-range
        value; ValueError or TypeError for a value of the wrong type, including a bool (L1.1)."""
        raise NotImplementedError

    def put(self, profile_id: str, titles: Sequence[str]) -> None:
        """Store a tuple snapshot of `titles` (L1.2; a bare str raises TypeError and stores
        nothing, L1.3), replacing any entry of the profile and restarting its TTL at the clock()
        reading taken during this call (L1.4)."""
        raise NotImplementedError

    def get(self, profile_id: str) -> tuple[str, ...] | None:
        """The stored tuple while fresh, i.e. while clock() < stored_at + ttl, else None (L1.5).
        Never extends the TTL (L1.6); an empty tuple is a hit, not a miss (L1.7)."""
        raise NotImplementedError

    def invalidate(self, profile_id: str) -> bool:
        """Remove the profile's entry; True iff a fresh entry was removed (L1.8)."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of fresh entries (L1.9)."""
        raise NotImplementedError
