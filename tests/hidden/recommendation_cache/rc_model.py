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
        self.gone: dict[str, tuple[str, str]] = {}
        """Profile -> (clause, what happened) for the last removal of its entry."""
        self.read: set[str] = set()
        """Profiles whose held entry was returned by a get since it was stored."""
        self.replaced: set[str] = set()
        """Profiles whose held entry replaced an earlier one."""

    def _fresh(self, profile: str, now: float) -> bool:
        entry = self.entries.get(profile)
        return entry is not None and now < entry[1] + self.ttl  # L1.5

    def _use(self) -> int:
        self.uses += 1
        return self.uses

    def put(self, profile: str, titles: Sequence[str], now: float) -> None:
        # Expired entries are invisible, so dropping them all first is the same as L2.2.
        for p in [p for p in self.entries if not self._fresh(p, now)]:
            self._forget(p, *self._expiry(p))
        if profile in self.entries:
            self.replaced.add(profile)
        else:
            self.replaced.discard(profile)
        if profile not in self.entries and len(self.entries) >= self.capacity:
            victim = min(self.entries, key=lambda p: self.entries[p][2])  # L2.3
            self._forget(victim, "L2.3", f"evicted at {now} as the least recently used entry "
                                         f"when {profile!r} was put into the full cache")
        self.entries[profile] = (tuple(titles), now, self._use())
        self.read.discard(profile)
        self.gone.pop(profile, None)

    def _forget(self, profile: str, clause: str, why: str) -> None:
        del self.entries[profile]
        self.gone[profile] = (clause, why)

    def _expiry(self, profile: str) -> tuple[str, str]:
        """The clause and words that make the held entry of `profile` expired."""
        stored = self.entries[profile][1]
        if profile in self.read:
            return "L1.6", (f"stored at {stored}, expired from {stored + self.ttl}; reading it "
                            "does not extend it")
        return "L1.5", f"stored at {stored} with ttl {self.ttl}: expired from {stored + self.ttl}"

    def reason(self, profile: str, now: float) -> tuple[str, str]:
        """(clause, words): the rule that gives the answer this model expects for `profile` now,
        so the clause a disagreeing answer breaks."""
        entry = self.entries.get(profile)
        if entry is None:
            return self.gone.get(profile, ("L1.5", "it was never stored"))
        if not self._fresh(profile, now):
            return self._expiry(profile)
        titles, stored, _ = entry
        if not titles:
            return "L1.7", f"the empty row stored at {stored} is a value while fresh"
        if profile in self.replaced:
            return "L1.4", (f"the put at {stored} replaced the row and restarted its TTL: fresh "
                            f"while clock() < {stored + self.ttl}")
        return "L1.5", f"stored at {stored} with ttl {self.ttl}: fresh while clock() < " \
                       f"{stored + self.ttl}"

    def get(self, profile: str, now: float) -> tuple[str, ...] | None:
        if not self._fresh(profile, now):
            return None
        titles, stored, _ = self.entries[profile]
        self.entries[profile] = (titles, stored, self._use())
        self.read.add(profile)
        return titles

    def invalidate(self, profile: str, now: float) -> bool:
        fresh = self._fresh(profile, now)
        if profile in self.entries:
            self._forget(profile, "L1.8", f"removed by invalidate({profile!r}) at {now}")
        return fresh

    def invalidate_title(self, title: str, now: float) -> int:
        hit = [p for p, (titles, _, _) in self.entries.items() if title in titles]
        fresh = sum(1 for p in hit if self._fresh(p, now))
        for p in hit:
            self._forget(p, "L3.1", f"removed by invalidate_title({title!r}) at {now}")
        return fresh

    def invalidate_all(self) -> None:
        for p in list(self.entries):
            self._forget(p, "L3.3", "removed by invalidate_all()")

    def length(self, now: float) -> int:
        return sum(1 for p in self.entries if self._fresh(p, now))

    def expiries(self, now: float) -> list[float]:
        """The times at which held fresh entries expire (the clock's interesting boundaries)."""
        return sorted(e[1] + self.ttl for p, e in self.entries.items() if self._fresh(p, now))
