"""A consistent-hashing ring of CDN edges: which edge serves a segment, with weights, replicas,
failover and bounded loads. See README.md for the full statement; clause ids are cited below."""

from __future__ import annotations


class EdgeRing:
    """Nodes (edge names) on a ring of 64-bit positions; a key goes to the first node clockwise.

    State the complexity of each method in its docstring.
    """

    def __init__(self, vnodes: int = 64, load_factor: float = 1.25) -> None:
        """`vnodes` virtual nodes per node (an int from 1 to 10,000; ValueError out of range,
        TypeError for another type, bool and float included) (L1.1). `load_factor` is the bound
        factor of `assign`: an int or float from 1 to 1,000 (L4.1)."""
        raise NotImplementedError

    def add(self, node: str, weight: float = 1) -> None:
        """Put `node` (a non-empty str) on the ring; virtual node i sits at
        position(f"{node}#{i}") (L1.2). ValueError if it is already on the ring (L1.6) or empty,
        TypeError for a non-str (L1.7). `weight` sets the number of virtual nodes (L2.1, L2.2);
        adding moves only keys that now belong to the node (L2.3)."""
        raise NotImplementedError

    def remove(self, node: str) -> None:
        """Take `node` off the ring; KeyError if it is not on it (L1.6), TypeError for a non-str
        (L1.7). Only its own keys move (L2.4); its assigned keys are assigned again (L4.6)."""
        raise NotImplementedError

    def owner(self, key: str) -> str:
        """The node of the first virtual node clockwise from position(key), wrapping around
        (L1.3); a virtual node at the key's own position counts (L1.4). LookupError on an empty
        ring (L1.6), TypeError for a non-str key (L1.7). Down nodes are skipped (L3.3)."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of nodes on the ring, not of virtual nodes (L1.8)."""
        raise NotImplementedError

    def __contains__(self, node: object) -> bool:
        """True exactly for the nodes on the ring; False for a value that is not a str (L1.8)."""
        raise NotImplementedError

    def owners(self, key: str, n: int) -> list[str]:
        """The first `n` distinct up nodes clockwise from position(key), or all of them when
        fewer are up (L3.1); TypeError, ValueError, LookupError in that order (L3.2)."""
        raise NotImplementedError

    def mark_down(self, node: str) -> None:
        """Lookups skip `node` until it is marked up (L3.3); KeyError for a node not on the ring
        (L3.5). Its assigned keys are assigned again (L4.6)."""
        raise NotImplementedError

    def mark_up(self, node: str) -> None:
        """Restore every answer as if `node` had never been down (L3.4); KeyError for a node not
        on the ring (L3.5)."""
        raise NotImplementedError

    def assign(self, key: str) -> str:
        """The node of an assigned key (L4.3); a new key goes to the first node of
        owners(key, u) holding fewer than ceil(load_factor * m / u) keys, m counting it (L4.2).
        Thread-safe (L4.8)."""
        raise NotImplementedError

    def release(self, key: str) -> str:
        """Un-assign `key` and return its node; KeyError if it is not assigned (L4.4)."""
        raise NotImplementedError

    def load(self, node: str) -> int:
        """The number of keys assigned to `node`; KeyError for a node not on the ring (L4.2)."""
        raise NotImplementedError
