"""A consistent-hashing ring of CDN edges: weights, replicas, failover and bounded loads.

Design (one lock guards everything below):

- ``_points``: every virtual node as ``(position, node)``, sorted, so ties between virtual nodes
  are ordered by node name; ``_positions`` holds the same positions alone, for ``bisect``.
- ``_counts``: node -> number of virtual nodes; ``_down``: the nodes marked down. A down node
  keeps its virtual nodes on the ring and lookups skip them, so marking it up restores everything.
- ``_placed``: key -> node for assigned keys, in the order of the ``assign`` calls that placed them
  (a key moved by a ``remove`` or ``mark_down`` keeps its place in that order); ``_loads``: node ->
  number of keys assigned to it.

With v virtual nodes, k of the node added or removed, m assigned keys and u up nodes: ``owner``
O(log v) (plus the down virtual nodes it passes), ``owners`` and ``assign`` O(log v + w) for w
virtual nodes walked, ``add`` O(k log k + v), ``remove`` and ``mark_down`` O(v + m) plus the
reassignments, ``len``, ``in``, ``load`` and ``release`` O(1).
"""

from __future__ import annotations

import hashlib
import math
import threading
from bisect import bisect_left
from collections.abc import Iterator

MAX_VNODES = 10_000
MAX_COUNT = 100_000
MAX_LOAD_FACTOR = 1_000


def position(text: str) -> int:
    """The ring position of `text`: the first 8 bytes, big-endian, of SHA-256 of its UTF-8."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_str(value: object, what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")


def _vnode_count(weight: float, vnodes: int) -> int:
    """Virtual nodes for `weight`: exact for an int, halves rounded up for a float (L2.1, L2.2)."""
    if isinstance(weight, float) and not math.isfinite(weight):
        raise ValueError(f"weight must be finite, got {weight}")
    if weight <= 0:
        raise ValueError(f"weight must be > 0, got {weight}")
    if isinstance(weight, int):
        count = weight * vnodes
    else:
        scaled = weight * vnodes + 0.5
        if not scaled < MAX_COUNT + 1:
            raise ValueError(f"weight {weight} gives more than {MAX_COUNT:,} virtual nodes")
        count = math.floor(scaled)
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"weight {weight} gives {count} virtual nodes, not 1 to {MAX_COUNT:,}")
    return count


class EdgeRing:
    """Nodes (edge names) on a ring of 64-bit positions; keys go to the first node clockwise.

    Every method is thread-safe; complexities are in the module docstring.
    """

    def __init__(self, vnodes: int = 64, load_factor: float = 1.25) -> None:
        """`vnodes` virtual nodes per node of weight 1 (int, 1..10,000, L1.1); `load_factor` the
        bound factor c of assign (int or float, 1..1,000, L4.1). TypeError for a wrong type
        (bool included), ValueError for a value out of range."""
        if not isinstance(vnodes, int) or isinstance(vnodes, bool):
            raise TypeError(f"vnodes must be an int, got {type(vnodes).__name__}")
        if not 1 <= vnodes <= MAX_VNODES:
            raise ValueError(f"vnodes must be from 1 to {MAX_VNODES:,}, got {vnodes}")
        if not _is_number(load_factor):
            raise TypeError(f"load_factor must be a number, got {type(load_factor).__name__}")
        if not 1 <= load_factor <= MAX_LOAD_FACTOR:
            raise ValueError(f"load_factor must be from 1 to {MAX_LOAD_FACTOR:,}, "
                             f"got {load_factor}")
        self._vnodes = vnodes
        self._load_factor = load_factor
        self._lock = threading.Lock()
        self._points: list[tuple[int, str]] = []
        self._positions: list[int] = []
        self._counts: dict[str, int] = {}
        self._down: set[str] = set()
        self._placed: dict[str, str] = {}
        self._loads: dict[str, int] = {}

    def add(self, node: str, weight: float = 1) -> None:
        """Put `node` on the ring with weight * vnodes virtual nodes (L1.2, L2.1); ValueError for a
        node already on the ring, an empty name or a bad weight, TypeError for a wrong type (L1.6,
        L1.7, L2.2). Moves no assigned key (L4.5). O(k log k + v)."""
        _check_str(node, "node")
        if not _is_number(weight):
            raise TypeError(f"weight must be an int or a float, got {type(weight).__name__}")
        if not node:
            raise ValueError("a node name must not be empty")
        count = _vnode_count(weight, self._vnodes)
        new = sorted((position(f"{node}#{i}"), node) for i in range(count))
        with self._lock:
            if node in self._counts:
                raise ValueError(f"node {node!r} is already on the ring")
            self._points = sorted(self._points + new)  # two sorted runs: a linear merge
            self._positions = [p for p, _ in self._points]
            self._counts[node] = count
            self._loads[node] = 0

    def remove(self, node: str) -> None:
        """Take `node` and its virtual nodes off the ring (KeyError if absent, L1.6); its assigned
        keys are assigned again (L4.6). O(v + m) plus the reassignments."""
        _check_str(node, "node")
        with self._lock:
            if node not in self._counts:
                raise KeyError(node)
            orphans = self._take_out(node)
            del self._counts[node]
            del self._loads[node]
            self._down.discard(node)
            self._points = [point for point in self._points if point[1] != node]
            self._positions = [p for p, _ in self._points]
            self._reassign(orphans)

    def owner(self, key: str) -> str:
        """The up node of the first virtual node clockwise from position(key), a virtual node at
        the key's own position included (L1.3, L1.4, L3.3); LookupError when no node is up.
        O(log v) plus the down virtual nodes passed."""
        _check_str(key, "key")
        with self._lock:
            for node in self._walk(key):
                return node
        raise LookupError("no node is up on the ring")

    def owners(self, key: str, n: int) -> list[str]:
        """The first `n` distinct up nodes clockwise from position(key), or all the up nodes when
        fewer (L3.1); TypeError, ValueError, LookupError in that order (L3.2).
        O(log v + w) for w virtual nodes walked."""
        _check_str(key, "key")
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        with self._lock:
            found = self._distinct(key, n)
        if not found:
            raise LookupError("no node is up on the ring")
        return found

    def mark_down(self, node: str) -> None:
        """Lookups skip `node` until mark_up (L3.3); its assigned keys are assigned again (L4.6).
        KeyError for a node not on the ring (L3.5). O(m) plus the reassignments."""
        _check_str(node, "node")
        with self._lock:
            if node not in self._counts:
                raise KeyError(node)
            if node in self._down:
                return
            orphans = self._take_out(node)
            self._down.add(node)
            self._reassign(orphans)

    def mark_up(self, node: str) -> None:
        """Lookups see `node` again, exactly as before it was down (L3.4); moves no key (L4.5).
        KeyError for a node not on the ring (L3.5). O(1)."""
        _check_str(node, "node")
        with self._lock:
            if node not in self._counts:
                raise KeyError(node)
            self._down.discard(node)

    def assign(self, key: str) -> str:
        """The node of an assigned key (L4.3); a new key goes to the first node of owners(key, u)
        below ceil(load_factor * m / u), m counting the key (L4.2). LookupError when no node is
        up. O(log v + w) for w virtual nodes walked."""
        _check_str(key, "key")
        with self._lock:
            node = self._placed.get(key)
            if node is None:
                node = self._place(key)
            return node

    def release(self, key: str) -> str:
        """Un-assign `key` and return its node (L4.4); KeyError if it is not assigned. O(1)."""
        _check_str(key, "key")
        with self._lock:
            node = self._placed.pop(key)
            self._loads[node] -= 1
            return node

    def load(self, node: str) -> int:
        """The number of keys assigned to `node` (L4.2); KeyError for a node not on the ring."""
        _check_str(node, "node")
        with self._lock:
            return self._loads[node]

    def __len__(self) -> int:
        """The number of nodes on the ring, down ones included (L1.8, L3.3). O(1)."""
        return len(self._counts)

    def __contains__(self, node: object) -> bool:
        """True exactly for a node on the ring; False for a value that is not a str (L1.8)."""
        return isinstance(node, str) and node in self._counts

    # Helpers below run with the lock held.

    def _walk(self, key: str) -> Iterator[str]:
        """The up nodes of the virtual nodes clockwise from position(key), once round the ring
        (a node appears once per virtual node)."""
        start = bisect_left(self._positions, position(key))
        points, down = self._points, self._down
        for index in range(start - len(points), start):
            node = points[index][1]
            if node not in down:
                yield node

    def _distinct(self, key: str, n: int) -> list[str]:
        """The first min(n, u) distinct up nodes clockwise from position(key)."""
        wanted = min(n, len(self._counts) - len(self._down))
        found: dict[str, None] = {}
        if wanted > 0:
            for node in self._walk(key):
                found[node] = None
                if len(found) == wanted:
                    break
        return list(found)

    def _place(self, key: str) -> str:
        """Assign a new key under the bound (L4.2); LookupError when no node is up."""
        up = len(self._counts) - len(self._down)
        if up == 0:
            raise LookupError("no node is up on the ring")
        node = self._first_with_room(key, len(self._placed) + 1, up)
        self._placed[key] = node
        return node

    def _first_with_room(self, key: str, assigned: int, up: int) -> str:
        """The first node of owners(key, up) holding fewer than ceil(load_factor * assigned /
        up) keys, its load counted up by one; O(log v + w) for w virtual nodes walked. Some node
        has room: the up nodes hold assigned - 1 < up * bound keys."""
        bound = math.ceil(self._load_factor * assigned / up)
        for node in self._walk(key):  # a full node met again is still full: no need to dedupe
            if self._loads[node] < bound:
                self._loads[node] += 1
                return node
        raise AssertionError("unreachable: the up nodes hold fewer keys than up * bound")

    def _take_out(self, node: str) -> list[str]:
        """The keys of `node` in assignment order, its load set to 0; they stay in `_placed`
        (keeping their place in the order) until `_reassign`. O(m)."""
        orphans = [key for key, holder in self._placed.items() if holder == node]
        self._loads[node] = 0
        return orphans

    def _reassign(self, orphans: list[str]) -> None:
        """Assign `orphans` again one by one (L4.6): the keys not yet placed again do not count
        in m. Without an up node they are un-assigned."""
        up = len(self._counts) - len(self._down)
        settled = len(self._placed) - len(orphans)
        for number, key in enumerate(orphans, start=1):
            if up == 0:
                del self._placed[key]
            else:
                self._placed[key] = self._first_with_room(key, settled + number, up)
