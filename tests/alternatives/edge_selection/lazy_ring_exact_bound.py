"""A second correct EdgeRing, written differently from the reference: each node keeps its own
positions, the ring of up nodes is rebuilt lazily (after a change, on the next lookup) as one
sorted list searched with a hand-written binary search, down nodes are left out of that ring
instead of being skipped, the bound is computed with exact fractions, and the assignment order
is a sequence number per key."""

from __future__ import annotations

import hashlib
import math
import threading
from fractions import Fraction


def _position(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _require_str(value: object) -> str:
    if type(value) is not str and not isinstance(value, str):
        raise TypeError("expected a str")
    return value


def _exact_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int")
    return value


class EdgeRing:
    def __init__(self, vnodes: int = 64, load_factor: float = 1.25) -> None:
        vnodes = _exact_int(vnodes, "vnodes")
        if vnodes < 1 or vnodes > 10_000:
            raise ValueError("vnodes out of range")
        if isinstance(load_factor, bool) or not isinstance(load_factor, int | float):
            raise TypeError("load_factor must be a number")
        if not 1 <= load_factor <= 1_000:  # False for nan as well
            raise ValueError("load_factor out of range")
        self._per_node = vnodes
        self._factor = Fraction(load_factor)
        self._mutex = threading.RLock()
        self._positions_of: dict[str, list[int]] = {}
        self._is_down: dict[str, bool] = {}
        self._ring: list[tuple[int, str]] | None = None
        self._where: dict[str, tuple[int, str]] = {}  # key -> (sequence, node)
        self._sequence = 0
        self._held: dict[str, int] = {}

    # ring -------------------------------------------------------------------------------

    def _count(self, weight: object) -> int:
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise TypeError("weight must be a number")
        if isinstance(weight, int):
            if weight <= 0 or weight > 100_000:
                raise ValueError("weight out of range")
            count = weight * self._per_node
        else:
            if not math.isfinite(weight) or weight <= 0:
                raise ValueError("weight out of range")
            scaled = weight * self._per_node + 0.5
            if scaled >= 100_001:
                raise ValueError("too many virtual nodes")
            count = int(scaled // 1)
        if count < 1 or count > 100_000:
            raise ValueError("virtual node count out of range")
        return count

    def add(self, node: str, weight: float = 1) -> None:
        _require_str(node)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise TypeError("weight must be a number")
        if node == "":
            raise ValueError("empty node name")
        count = self._count(weight)
        spots = [_position(node + "#" + str(i)) for i in range(count)]
        with self._mutex:
            if node in self._positions_of:
                raise ValueError("duplicate node")
            self._positions_of[node] = spots
            self._is_down[node] = False
            self._held[node] = 0
            self._ring = None

    def _up_ring(self) -> list[tuple[int, str]]:
        if self._ring is None:
            self._ring = sorted(
                (spot, node)
                for node, spots in self._positions_of.items()
                if not self._is_down[node]
                for spot in spots
            )
        return self._ring

    def _start(self, key: str) -> int:
        ring, target = self._up_ring(), _position(key)
        low, high = 0, len(ring)
        while low < high:
            middle = (low + high) // 2
            if ring[middle][0] < target:
                low = middle + 1
            else:
                high = middle
        return low

    def _clockwise_distinct(self, key: str, limit: int) -> list[str]:
        ring = self._up_ring()
        if not ring:
            return []
        first = self._start(key)
        seen: list[str] = []
        total = sum(1 for down in self._is_down.values() if not down)
        for step in range(len(ring)):
            node = ring[(first + step) % len(ring)][1]
            if node not in seen:
                seen.append(node)
                if len(seen) >= min(limit, total):
                    break
        return seen

    def owner(self, key: str) -> str:
        _require_str(key)
        with self._mutex:
            ring = self._up_ring()
            if not ring:
                raise KeyError("empty ring")
            return ring[self._start(key) % len(ring)][1]

    def owners(self, key: str, n: int) -> list[str]:
        _require_str(key)
        n = _exact_int(n, "n")
        if n <= 0:
            raise ValueError("n must be positive")
        with self._mutex:
            result = self._clockwise_distinct(key, n)
            if not result:
                raise KeyError("no node up")
            return result

    def __len__(self) -> int:
        with self._mutex:
            return len(self._positions_of)

    def __contains__(self, node: object) -> bool:
        if not isinstance(node, str):
            return False
        with self._mutex:
            return node in self._positions_of

    def _known(self, node: str) -> None:
        if node not in self._positions_of:
            raise KeyError(node)

    def remove(self, node: str) -> None:
        _require_str(node)
        with self._mutex:
            self._known(node)
            self._is_down[node] = True  # out of the up ring while its keys move
            self._ring = None
            self._evict(node)
            del self._positions_of[node], self._is_down[node], self._held[node]

    def mark_down(self, node: str) -> None:
        _require_str(node)
        with self._mutex:
            self._known(node)
            if not self._is_down[node]:
                self._is_down[node] = True
                self._ring = None
                self._evict(node)

    def mark_up(self, node: str) -> None:
        _require_str(node)
        with self._mutex:
            self._known(node)
            if self._is_down[node]:
                self._is_down[node] = False
                self._ring = None

    # bounded loads ----------------------------------------------------------------------

    def _up_count(self) -> int:
        return sum(1 for down in self._is_down.values() if not down)

    def _choose(self, key: str, assigned: int) -> str:
        up = self._up_count()
        limit = math.ceil(self._factor * assigned / up)
        for node in self._clockwise_distinct(key, up):
            if self._held[node] < limit:
                return node
        raise RuntimeError("no node with room")

    def assign(self, key: str) -> str:
        _require_str(key)
        with self._mutex:
            if key in self._where:
                return self._where[key][1]
            if self._up_count() == 0:
                raise KeyError("no node up")
            node = self._choose(key, len(self._where) + 1)
            self._sequence += 1
            self._where[key] = (self._sequence, node)
            self._held[node] += 1
            return node

    def release(self, key: str) -> str:
        _require_str(key)
        with self._mutex:
            _, node = self._where.pop(key)
            self._held[node] -= 1
            return node

    def load(self, node: str) -> int:
        _require_str(node)
        with self._mutex:
            return self._held[node]

    def _evict(self, node: str) -> None:
        moving = sorted((seq, key) for key, (seq, holder) in self._where.items() if holder == node)
        for _, key in moving:
            del self._where[key]
        self._held[node] = 0
        for seq, key in moving:
            if self._up_count() == 0:
                continue
            target = self._choose(key, len(self._where) + 1)
            self._where[key] = (seq, target)
            self._held[target] += 1
