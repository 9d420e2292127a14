"""Starter tests: extend them. Every answer of the ring follows from the hash in the statement,
so a test can compute what to expect."""

from __future__ import annotations

import hashlib

import pytest
from solution import EdgeRing


def position(text: str) -> int:
    """The statement's hash: the first 8 bytes, big-endian, of SHA-256 of the UTF-8 encoding."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def test_a_single_node_owns_every_key() -> None:
    ring = EdgeRing(vnodes=4)
    ring.add("edge-a")
    assert ring.owner("segment-1") == "edge-a"
    assert ring.owner("") == "edge-a"


def test_a_key_goes_to_the_node_of_the_first_virtual_node_clockwise() -> None:
    ring = EdgeRing(vnodes=1)
    ring.add("edge-a")
    ring.add("edge-b")
    points = sorted((position(f"{node}#0"), node) for node in ["edge-a", "edge-b"])
    key = "segment-7"
    after = [node for pos, node in points if pos >= position(key)]
    assert ring.owner(key) == (after[0] if after else points[0][1])


def test_len_counts_nodes_and_in_tells_which_are_on_the_ring() -> None:
    ring = EdgeRing(vnodes=8)
    ring.add("edge-a")
    ring.add("edge-b")
    assert len(ring) == 2
    assert "edge-a" in ring
    assert "edge-c" not in ring


def test_adding_a_node_twice_raises_value_error() -> None:
    ring = EdgeRing(vnodes=2)
    ring.add("edge-a")
    with pytest.raises(ValueError):  # noqa: PT011 - the statement fixes the type, not the text
        ring.add("edge-a")
