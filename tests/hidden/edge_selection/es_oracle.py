"""An exact oracle of the statement, written for obviousness rather than speed: every answer is a
scan of every virtual node, every rule a direct reading of a clause."""

from __future__ import annotations

import hashlib
import math


def position(text: str) -> int:
    """The statement's hash: the first 8 bytes, big-endian, of SHA-256 of the UTF-8 encoding."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def vnode_count(weight: float, vnodes: int) -> int:
    """L2.1: exact for an int weight, halves rounded up for a float."""
    if isinstance(weight, int):
        return weight * vnodes
    return math.floor(weight * vnodes + 0.5)


class OracleRing:
    """The ring of the statement (levels 1-4), by scans."""

    def __init__(self, vnodes: int = 64, load_factor: float = 1.25) -> None:
        self.vnodes = vnodes
        self.load_factor = load_factor
        self.counts: dict[str, int] = {}
        self.down: set[str] = set()
        self.placed: dict[str, str] = {}  # key -> node, in assignment order (L4.6)
        self._memo: tuple[object, list[tuple[int, str]]] | None = None

    # levels 1-3 ----------------------------------------------------------------------------

    def add(self, node: str, weight: float = 1) -> None:
        assert node not in self.counts
        self.counts[node] = vnode_count(weight, self.vnodes)

    def points(self) -> list[tuple[int, str]]:
        """Every virtual node of every up node as (position, node), in ring order (L1.3, L1.4);
        recomputed whenever the nodes or their states changed."""
        state = (tuple(self.counts.items()), frozenset(self.down))
        if self._memo is None or self._memo[0] != state:
            self._memo = (state, self._points())
        return self._memo[1]

    def _points(self) -> list[tuple[int, str]]:
        return sorted(
            (position(f"{node}#{i}"), node)
            for node, count in self.counts.items()
            if node not in self.down
            for i in range(count)
        )

    def clockwise(self, key: str) -> list[str]:
        """The up nodes of the virtual nodes from position(key) clockwise, once round."""
        points = self.points()
        here = position(key)
        after = [node for pos, node in points if pos >= here]
        before = [node for pos, node in points if pos < here]
        return after + before

    def owner(self, key: str) -> str | None:
        walk = self.clockwise(key)
        return walk[0] if walk else None

    def owners(self, key: str, n: int) -> list[str]:
        distinct: list[str] = []
        for node in self.clockwise(key):
            if node not in distinct:
                distinct.append(node)
        return distinct[:n]

    def up(self) -> list[str]:
        return [node for node in self.counts if node not in self.down]

    # level 4 -------------------------------------------------------------------------------

    def load(self, node: str) -> int:
        return sum(1 for holder in self.placed.values() if holder == node)

    def bound(self, assigned: int) -> int:
        return math.ceil(self.load_factor * assigned / len(self.up()))

    def _place(self, key: str, assigned: int) -> str:
        limit = self.bound(assigned)
        for node in self.owners(key, len(self.up())):
            if self.load(node) < limit:
                return node
        raise AssertionError("the oracle found no node with room")

    def assign(self, key: str) -> str | None:
        """The node, or None when no node is up (LookupError)."""
        if key in self.placed:
            return self.placed[key]
        if not self.up():
            return None
        self.placed[key] = self._place(key, len(self.placed) + 1)
        return self.placed[key]

    def release(self, key: str) -> str | None:
        return self.placed.pop(key, None)

    def _leave(self, node: str) -> None:
        """L4.6: the node is out already; its keys are placed again in assignment order."""
        orphans = [key for key, holder in self.placed.items() if holder == node]
        settled = len(self.placed) - len(orphans)
        for key in orphans:
            self.placed[key] = ""  # not assigned while waiting: load() counts it nowhere
        for number, key in enumerate(orphans, start=1):
            if not self.up():
                del self.placed[key]
            else:
                self.placed[key] = self._place(key, settled + number)

    def remove(self, node: str) -> None:
        del self.counts[node]
        self.down.discard(node)
        self._leave(node)

    def mark_down(self, node: str) -> None:
        if node in self.down:
            return
        self.down.add(node)
        self._leave(node)

    def mark_up(self, node: str) -> None:
        self.down.discard(node)
