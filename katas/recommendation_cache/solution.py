"""A per-profile cache of recommended titles with TTL, LRU bound, title invalidation and
single-flight compute on miss. See README.md for the full statement; clause ids are cited below."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


class RecommendationCache:
    """Recommended titles per profile, fresh for `ttl` seconds, at most `capacity` entries.

    Every method is thread-safe (L4.3). State the complexity of each method in its docstring.
    """

    def __init__(
        self, capacity: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Hold at most `capacity` (an int >= 1) entries, each fresh for `ttl` (a finite number
        > 0, int or float) seconds as measured by `clock`, which never goes backwards. ValueError
        for an out-of-range value; ValueError or TypeError for a value of the wrong type,
        including a bool (L1.1)."""
        raise NotImplementedError

    def put(self, profile_id: str, titles: Sequence[str]) -> None:
        """Store a tuple snapshot of `titles` (L1.2; a bare str raises TypeError, L1.3), replacing
        any entry of the profile and restarting its TTL (L1.4). A new profile meeting a full cache
        drops expired entries, then evicts the least recently used entry (L2.1-L2.3); replacing
        never evicts (L2.4). O(1) on average in the number of entries, O(k) for k titles (L2.5).
        A computation in progress for the profile then stores nothing and is not joined by later
        callers (L4.6, L4.7)."""
        raise NotImplementedError

    def get(self, profile_id: str) -> tuple[str, ...] | None:
        """The stored tuple while fresh, i.e. while clock() < stored_at + ttl, else None (L1.5).
        Never extends the TTL (L1.6); an empty tuple is a hit, not a miss (L1.7). A hit is a use
        (L2.3). O(1) on average (L2.5)."""
        raise NotImplementedError

    def invalidate(self, profile_id: str) -> bool:
        """Remove the profile's entry; True iff a fresh entry was removed (L1.8). A computation
        in progress for the profile then stores nothing and is not joined by later callers
        (L4.6, L4.7)."""
        raise NotImplementedError

    def invalidate_title(self, title_id: str) -> int:
        """Remove every entry whose row contains `title_id` and return how many fresh entries were
        removed, an entry listing it twice counting once (L3.1), at a cost that grows with the
        entries holding the title and the computations in progress, not with the cache size
        (L3.2). A computation in progress whose result contains the title stores nothing (L4.6),
        but later callers still join it (L4.7)."""
        raise NotImplementedError

    def invalidate_all(self) -> None:
        """Remove every entry (L3.3); computations in progress store nothing and are not joined
        by later callers (L4.6, L4.7)."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of fresh entries (L1.9)."""
        raise NotImplementedError

    def get_or_compute(
        self, profile_id: str, compute: Callable[[], Sequence[str]]
    ) -> tuple[str, ...]:
        """The fresh entry, counted as a use (L4.1); otherwise the result of `compute()`, run
        without holding any lock other calls need and stored as `put` would store it once it
        has returned (L4.2). A call arriving while a computation for the profile is in progress
        joins it instead of calling its own `compute` (L4.4), and gets its result or its
        exception (L4.5); a failure stores nothing. The result is not stored if the profile was
        invalidated or put, `invalidate_all` ran, or a title of the result was invalidated while
        it was in progress; after an invalidate, put or invalidate_all, later callers do not join
        it (L4.6, L4.7)."""
        raise NotImplementedError
