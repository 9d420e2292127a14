"""A per-profile cache of recommended titles: TTL, LRU bound, title invalidation, single flight.

The homepage shows each profile a row of recommended titles. Computing that row (model inference)
is expensive, so it is cached per profile; the hard part is invalidating it correctly, including
while a computation for the profile is still running.

Design (one lock guards everything below; `compute` always runs outside it):

- ``_entries``: ``OrderedDict`` profile -> entry, in use order (least recently used first).
- ``_ages``: ``OrderedDict`` profile -> None, in put order. The TTL is fixed and the clock never
  goes backwards, so put order is also expiry order: expired entries are always at its front.
- ``_holders``: title -> set of profiles whose held entry lists it (the reverse index), kept exact
  on every store and removal (overwrite, eviction, expiry, invalidation).
- ``_flights``: profile -> the computation in progress for it. The flight object is the token:
  ``put``/``invalidate``/``invalidate_all`` cancel it and unregister it (so late callers start
  afresh), ``invalidate_title`` records the title on it, and the leader stores its result only if
  the flight was neither cancelled nor hit by a title of the result.

A flight is registered, under the lock, before ``compute`` is called, and unregistered under the
lock in the same step that stores the result, or before its exception is handed to anyone: that
is exactly the statement's "computation in progress", so a caller either joins it or sees what
it left behind (a stored row, or nothing after a failure).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence

Titles = tuple[str, ...]


def _snapshot(titles: Sequence[str]) -> Titles:
    """An immutable copy of `titles`; a bare ``str`` is rejected (TypeError). O(len(titles))."""
    if isinstance(titles, str):
        raise TypeError("titles must be a sequence of title ids, not a single str")
    return tuple(titles)


class _Entry:
    """A stored row of titles and the clock reading from which it is expired."""

    __slots__ = ("expires", "titles")

    def __init__(self, titles: Titles, expires: float) -> None:
        self.titles = titles
        self.expires = expires


class _Flight:
    """One running computation for one profile: where its waiters meet, and its validity token."""

    __slots__ = ("_done", "_error", "_result", "cancelled", "doomed_titles")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._result: Titles = ()
        self._error: BaseException | None = None
        self.cancelled = False
        self.doomed_titles: set[str] = set()

    def succeed(self, titles: Titles) -> None:
        """Hand `titles` to every waiter; O(waiters)."""
        self._result = titles
        self._done.set()

    def fail(self, error: BaseException) -> None:
        """Raise `error` in every waiter; O(waiters)."""
        self._error = error
        self._done.set()

    def wait(self) -> Titles:
        """Block until the leader finishes, then return its result or raise its error."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result


class RecommendationCache:
    """Recommended titles per profile, fresh for `ttl` seconds, at most `capacity` entries.

    Every method is thread-safe. With k titles in a list, h entries holding a title and f
    computations in progress: ``get`` O(1), ``put`` O(k) amortised, ``invalidate`` O(k),
    ``invalidate_title`` O(h * k + f), ``invalidate_all`` O(n + f) for n held entries,
    ``len`` O(1) amortised.
    """

    def __init__(
        self, capacity: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Hold at most `capacity` (int >= 1) entries, each fresh for `ttl` (finite > 0) seconds
        as measured by `clock` (never goes backwards). ValueError for an out-of-range value,
        TypeError for a value of the wrong type (L1.1)."""
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise TypeError(f"capacity must be an int, got {type(capacity).__name__}")
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float):
            raise TypeError(f"ttl must be a number of seconds, got {type(ttl).__name__}")
        if not (math.isfinite(ttl) and ttl > 0):
            raise ValueError(f"ttl must be a finite number > 0, got {ttl}")
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._ages: OrderedDict[str, None] = OrderedDict()
        self._holders: defaultdict[str, set[str]] = defaultdict(set)
        self._flights: dict[str, _Flight] = {}

    def put(self, profile_id: str, titles: Sequence[str]) -> None:
        """Store a tuple snapshot of `titles` for the profile, replacing any entry and starting its
        TTL now (L1.2-L1.4); cancels a computation in progress for it (L4.6, L4.7). Evicts the
        least recently used entry if a new profile meets a full cache (L2.1-L2.4). O(k) amortised.
        """
        snapshot = _snapshot(titles)
        with self._lock:
            if self._flights:
                self._cancel_flight(profile_id)
            self._store(profile_id, snapshot, self._clock())

    def get(self, profile_id: str) -> Titles | None:
        """The stored tuple while the entry is fresh (``clock() < stored_at + ttl``), else None.
        A hit counts as a use; the TTL is never extended (L1.5-L1.7, L2.3). O(1)."""
        with self._lock:
            entry = self._entries.get(profile_id)
            if entry is None or self._clock() >= entry.expires:
                return None
            self._entries.move_to_end(profile_id)
            return entry.titles

    def invalidate(self, profile_id: str) -> bool:
        """Remove the profile's entry; True iff a fresh entry was removed (L1.8). Cancels a
        computation in progress for the profile (L4.6, L4.7). O(k)."""
        with self._lock:
            self._cancel_flight(profile_id)
            entry = self._entries.get(profile_id)
            if entry is None:
                return False
            fresh = self._clock() < entry.expires
            self._remove(profile_id)
            return fresh

    def invalidate_title(self, title_id: str) -> int:
        """Remove every entry whose titles contain `title_id`; return how many of them were fresh
        (L3.1). Computations in progress store nothing if their result contains it (L4.6).
        O(h * k + f): independent of the cache size (L3.2)."""
        with self._lock:
            for flight in self._flights.values():
                flight.doomed_titles.add(title_id)
            holders = self._holders.pop(title_id, None)
            if not holders:
                return 0
            now = self._clock()
            removed = 0
            for profile in holders:
                if now < self._entries[profile].expires:
                    removed += 1
                self._remove(profile)
            return removed

    def invalidate_all(self) -> None:
        """Remove every entry and cancel every computation in progress (L3.3, L4.6).
        O(n + f): freeing n entries."""
        with self._lock:
            for flight in self._flights.values():
                flight.cancelled = True
            self._flights.clear()
            self._entries.clear()
            self._ages.clear()
            self._holders.clear()

    def __len__(self) -> int:
        """The number of fresh entries (L1.9). O(1) amortised: drops expired entries first."""
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._entries)

    def get_or_compute(self, profile_id: str, compute: Callable[[], Sequence[str]]) -> Titles:
        """The fresh entry (a use), else the result of `compute()` stored as `put` would store it
        when it finishes (L4.1, L4.2). Concurrent callers for one profile share one call of
        `compute`, including its exception (L4.4, L4.5); the result is not stored if the profile
        was invalidated, put or hit by a title invalidation meanwhile (L4.6, L4.7).
        O(1) plus `put` and the cost of `compute`, which runs without the lock."""
        with self._lock:
            entry = self._entries.get(profile_id)
            if entry is not None and self._clock() < entry.expires:
                self._entries.move_to_end(profile_id)
                return entry.titles
            flight = self._flights.get(profile_id)
            if flight is None:
                flight = self._flights[profile_id] = _Flight()
                leader = True
            else:
                leader = False
        if not leader:
            return flight.wait()
        try:
            titles = _snapshot(compute())
        except BaseException as error:
            with self._lock:
                if self._flights.get(profile_id) is flight:
                    del self._flights[profile_id]
            flight.fail(error)
            raise
        with self._lock:
            if self._flights.get(profile_id) is flight:
                del self._flights[profile_id]
            if not flight.cancelled and flight.doomed_titles.isdisjoint(titles):
                self._store(profile_id, titles, self._clock())
        flight.succeed(titles)
        return titles

    # Helpers below run with the lock held.

    def _cancel_flight(self, profile_id: str) -> None:
        """Invalidate the profile's computation in progress and let later callers start anew."""
        flight = self._flights.pop(profile_id, None)
        if flight is not None:
            flight.cancelled = True

    def _store(self, profile_id: str, titles: Titles, now: float) -> None:
        """Insert or replace the entry stored at `now`, evicting first if a new profile needs
        room. O(k) amortised; a replacement with the same row skips the index."""
        entries = self._entries
        entry = entries.get(profile_id)
        if entry is not None:
            if entry.titles != titles:
                self._unindex(profile_id, entry.titles)
                self._index(profile_id, titles)
                entry.titles = titles
            entry.expires = now + self._ttl
            entries.move_to_end(profile_id)
            self._ages.move_to_end(profile_id)
            return
        if len(entries) >= self._capacity:
            self._drop_expired(now)
            if len(entries) >= self._capacity:
                self._remove(next(iter(entries)))
        entries[profile_id] = _Entry(titles, now + self._ttl)
        self._ages[profile_id] = None
        self._index(profile_id, titles)

    def _drop_expired(self, now: float) -> None:
        """Remove expired entries; they sit at the front of the put order. O(k) per entry."""
        ages = self._ages
        entries = self._entries
        while ages:
            oldest = next(iter(ages))
            if now < entries[oldest].expires:
                return
            self._remove(oldest)

    def _remove(self, profile_id: str) -> None:
        """Forget the profile's entry everywhere, including the reverse index. O(k)."""
        entry = self._entries.pop(profile_id)
        del self._ages[profile_id]
        self._unindex(profile_id, entry.titles)

    def _index(self, profile_id: str, titles: Titles) -> None:
        """Record the profile as a holder of each of `titles`. O(k)."""
        holders = self._holders
        for title in titles:
            holders[title].add(profile_id)

    def _unindex(self, profile_id: str, titles: Titles) -> None:
        """Drop the profile as a holder of each of `titles`; no empty set is kept. O(k)."""
        holders = self._holders
        for title in titles:
            profiles = holders[title]
            profiles.discard(profile_id)
            if not profiles:
                del holders[title]
