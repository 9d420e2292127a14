"""A second correct RecommendationCache, written differently from the reference.

Plain dict of entries (titles, stored_at, last use) and linear scans for expiry, eviction and
title invalidation; one Condition for waiting; per-profile generation numbers and a global epoch
(instead of flight objects as tokens) decide whether a running computation is still current.
Slow on purpose: O(n) eviction, len and invalidate_title.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class _Run:
    generation: int
    epoch: int
    finished: bool = False
    result: tuple[str, ...] = ()
    error: BaseException | None = None
    dropped_titles: set[str] = field(default_factory=set)


class RecommendationCache:
    """Recommended titles per profile with TTL, LRU bound and single-flight compute."""

    def __init__(
        self, capacity: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if isinstance(capacity, bool) or isinstance(ttl, bool):
            raise TypeError("capacity and ttl must be numbers, not bools")
        try:
            ok_capacity = int(capacity) == capacity and capacity >= 1
            ok_ttl = 0 < ttl < math.inf
        except TypeError as error:
            raise TypeError("capacity and ttl must be numbers") from error
        if not isinstance(capacity, int) or not ok_capacity:
            raise ValueError("capacity must be an integer of at least 1")
        if not ok_ttl:
            raise ValueError("ttl must be a finite number of seconds above 0")
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._cond = threading.Condition()
        self._entries: dict[str, tuple[tuple[str, ...], float, int]] = {}
        self._uses = 0
        self._generations: dict[str, int] = {}
        self._epoch = 0
        self._runs: dict[str, _Run] = {}

    # --- helpers (condition held) ---

    def _is_fresh(self, stored_at: float, now: float) -> bool:
        return now - stored_at < self._ttl

    def _next_use(self) -> int:
        self._uses += 1
        return self._uses

    def _bump(self, profile_id: str) -> None:
        self._generations[profile_id] = self._generations.get(profile_id, 0) + 1
        self._runs.pop(profile_id, None)

    def _save(self, profile_id: str, titles: tuple[str, ...]) -> None:
        now = self._clock()
        if profile_id not in self._entries:
            if len(self._entries) >= self._capacity:
                self._entries = {
                    p: e for p, e in self._entries.items() if self._is_fresh(e[1], now)
                }
            if len(self._entries) >= self._capacity:
                oldest = min(self._entries, key=lambda p: self._entries[p][2])
                del self._entries[oldest]
        self._entries[profile_id] = (titles, now, self._next_use())

    @staticmethod
    def _copy(titles: Sequence[str]) -> tuple[str, ...]:
        if isinstance(titles, str):
            raise TypeError("pass a list of title ids, not one string")
        return tuple(titles)

    # --- API ---

    def put(self, profile_id: str, titles: Sequence[str]) -> None:
        row = self._copy(titles)
        with self._cond:
            self._bump(profile_id)
            self._save(profile_id, row)

    def get(self, profile_id: str) -> tuple[str, ...] | None:
        with self._cond:
            entry = self._entries.get(profile_id)
            if entry is None or not self._is_fresh(entry[1], self._clock()):
                return None
            self._entries[profile_id] = (entry[0], entry[1], self._next_use())
            return entry[0]

    def invalidate(self, profile_id: str) -> bool:
        with self._cond:
            self._bump(profile_id)
            entry = self._entries.pop(profile_id, None)
            return entry is not None and self._is_fresh(entry[1], self._clock())

    def invalidate_title(self, title_id: str) -> int:
        with self._cond:
            for run in self._runs.values():
                run.dropped_titles.add(title_id)
            now = self._clock()
            hit = [p for p, e in self._entries.items() if title_id in e[0]]
            count = 0
            for p in hit:
                if self._is_fresh(self._entries.pop(p)[1], now):
                    count += 1
            return count

    def invalidate_all(self) -> None:
        with self._cond:
            self._epoch += 1
            self._runs.clear()
            self._entries.clear()

    def __len__(self) -> int:
        with self._cond:
            now = self._clock()
            return sum(1 for e in self._entries.values() if self._is_fresh(e[1], now))

    def get_or_compute(
        self, profile_id: str, compute: Callable[[], Sequence[str]]
    ) -> tuple[str, ...]:
        with self._cond:
            cached = self.get(profile_id)  # Condition wraps an RLock: re-entry is fine
            if cached is not None:
                return cached
            run = self._runs.get(profile_id)
            if run is not None:
                while not run.finished:
                    self._cond.wait()
                if run.error is not None:
                    raise run.error
                return run.result
            run = _Run(self._generations.get(profile_id, 0), self._epoch)
            self._runs[profile_id] = run
        try:
            row = self._copy(compute())
        except BaseException as error:
            with self._cond:
                if self._runs.get(profile_id) is run:
                    del self._runs[profile_id]
                run.error = error
                run.finished = True
                self._cond.notify_all()
            raise
        with self._cond:
            if self._runs.get(profile_id) is run:
                del self._runs[profile_id]
            current = (
                run.generation == self._generations.get(profile_id, 0)
                and run.epoch == self._epoch
                and not (run.dropped_titles & set(row))
            )
            if current:
                self._save(profile_id, row)
            run.result = row
            run.finished = True
            self._cond.notify_all()
        return row
