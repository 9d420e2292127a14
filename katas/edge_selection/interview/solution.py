"""A consistent-hashing ring of CDN edges: which edge serves a segment. See README.md for the
statement; clause ids are cited below."""

from __future__ import annotations


class EdgeRing:
    """Nodes (edge names) on a ring of 64-bit positions; a key goes to the first node clockwise.

    State the complexity of each method in its docstring.
    """

    def __init__(self, vnodes: int = 64) -> None:
        """`vnodes` virtual nodes per node (an int from 1 to 10,000; ValueError out of range,
        TypeError for another type, bool and float included) (L1.1)."""
        raise NotImplementedError

    def add(self, node: str) -> None:
        """Put `node` (a non-empty str) on the ring; virtual node i sits at
        position(f"{node}#{i}") (L1.2). ValueError if it is already on the ring (L1.6) or empty,
        TypeError for a non-str (L1.7)."""
        raise NotImplementedError

    def remove(self, node: str) -> None:
        """Take `node` off the ring; KeyError if it is not on it (L1.6), TypeError for a non-str
        (L1.7)."""
        raise NotImplementedError

    def owner(self, key: str) -> str:
        """The node of the first virtual node clockwise from position(key), wrapping around
        (L1.3); a virtual node at the key's own position counts (L1.4). LookupError on an empty
        ring (L1.6), TypeError for a non-str key (L1.7)."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of nodes on the ring, not of virtual nodes (L1.8)."""
        raise NotImplementedError

    def __contains__(self, node: object) -> bool:
        """True exactly for the nodes on the ring; False for a value that is not a str (L1.8)."""
        raise NotImplementedError
