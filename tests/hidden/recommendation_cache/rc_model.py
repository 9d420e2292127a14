"""A plain model of the statement, written for obviousness rather than speed: a dict of entries
with the time each was stored and a use counter; every rule is a direct reading of a clause."""

from __future__ import annotations

from collections.abc import Sequence


class ModelCache:
    """The statement's semantics with scans everywhere (levels 1-3)."""

    def __init__(self, capacity: int, ttl: float) -> None:
        self.capacity = capacity
        self.ttl = ttl
        self.entries: dict[str, tuple[tuple[str, ...], float, int]] = {}
        self.uses = 0

    def _fresh(self, profile: str, now: float) -> bool:
        entry = self.entries.get(profile)
        return entry is not None and now < entry[1] + self.ttl  # L1.5

    def _use(self) -> int:
        self.uses += 1
        return self.uses

    def put(self, profile: str, titles: Sequence[str], now: float) -> None:
        # Expired entries are invisible, so dropping them all first is the same as L2.2.
        self.entries = {p: e for p, e in self.entries.items() if self._fresh(p, now)}
        if profile not in self.entries and len(self.entries) >= self.capacity:
            victim = min(self.entries, key=lambda p: self.entries[p][2])  # L2.3
            del self.entries[victim]
        self.entries[profile] = (tuple(titles), now, self._use())

    def get(self, profile: str, now: float) -> tuple[str, ...] | None:
        if not self._fresh(profile, now):
            return None
        titles, stored, _ = self.entries[profile]
        self.entries[profile] = (titles, stored, self._use())
        return titles

    def invalidate(self, profile: str, now: float) -> bool:
        fresh = self._fresh(profile, now)
        self.entries.pop(profile, None)
        return fresh

    def invalidate_title(self, title: str, now: float) -> int:
        hit = [p for p, (titles, _, _) in self.entries.items() if title in titles]
        fresh = sum(1 for p in hit if self._fresh(p, now))
        for p in hit:
            del self.entries[p]
        return fresh

    def invalidate_all(self) -> None:
        self.entries.clear()

    def length(self, now: float) -> int:
        return sum(1 for p in self.entries if self._fresh(p, now))

    def expiries(self, now: float) -> list[float]:
        """The times at which held fresh entries expire (the clock's interesting boundaries)."""
        return sorted(e[1] + self.ttl for p, e in self.entries.items() if self._fresh(p, now))
