"""Shared helpers for the edge_selection checks: a ring beside the oracle, with a transcript of
every call as runnable code (used in every failure message)."""

from __future__ import annotations

from typing import Any

from es_oracle import OracleRing, position
from solution import EdgeRing

MISSING = object()


class Mismatch(AssertionError):
    """A failed expectation of a Scenario, with the clause whose rule gave the expected answer
    (`Scenario.rule`); a check of several clauses reports it as the clause its example breaks."""

    def __init__(self, message: str, clause: str | None) -> None:
        super().__init__(message)
        self.clause = clause


def repro_message(message: str, snippet: str) -> str:
    """A failure message followed by a runnable snippet."""
    return f"{message}\n\nReproduce with:\n\n{snippet.strip()}\n"


def same(got: Any, expected: Any) -> bool:
    """Equal with the exact type (a list is a list, an int an int, a str a str)."""
    if type(got) is not type(expected) or got != expected:
        return False
    if isinstance(expected, list):
        return all(type(g) is type(e) for g, e in zip(got, expected, strict=True))
    return True


class Scenario:
    """An EdgeRing, the oracle of the same calls, and the transcript of every call as code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        shown = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        self.lines = ["from solution import EdgeRing", "", f"ring = EdgeRing({', '.join(shown)})"]
        try:
            self.ring = EdgeRing(*args, **kwargs)
        except Exception as error:
            clause = "L4.1" if len(args) > 1 or kwargs else "L1.1"
            self.lines[-1] += f"  # raised {type(error).__name__}: {error}"
            raise Mismatch(
                repro_message(
                    f"EdgeRing({', '.join(shown)}) raised {type(error).__name__}: {error}",
                    self.code(),
                ),
                clause,
            ) from error
        self.model = OracleRing(*args, **kwargs)
        self.weighted = False  # a node has a count other than vnodes (L2.1)
        self.was_down = False  # a node was marked down (L3.3)
        self.recovered = False  # a down node was marked up, or removed and added again (L3.4)
        self.removed_down: set[str] = set()
        self.churn = False  # add, mark_up, release or a leave while keys were assigned (L4.5)
        self.released = False  # a key was released (L4.4)
        self.left = False  # a node left while it held keys, which were assigned again (L4.6)
        self.moved: set[str] = set()  # the keys assigned again that way

    def code(self) -> str:
        return "\n".join(self.lines)

    def fail(self, message: str, clause: str | None = None) -> None:
        raise Mismatch(repro_message(message, self.code()), clause)

    def call(self, method: str, *args: Any, clause: str | None = None) -> Any:
        """Call ``ring.method(*args)`` and record it; an exception fails the check."""
        clause = clause or self.rule(method, args)
        expr = self._expr(method, args)
        self.lines.append(expr)
        try:
            return getattr(self.ring, method)(*args)
        except Exception as error:
            self.lines[-1] += f"  # raised {type(error).__name__}: {error}"
            raise Mismatch(
                repro_message(f"{expr} raised {type(error).__name__}: {error}", self.code()), clause
            ) from error

    def expect(
        self, method: str, *args: Any, expected: Any, why: str = "", clause: str | None = None
    ) -> Any:
        """Call and assert the result equals `expected`, with its exact type."""
        clause = clause or self.rule(method, args)
        got = self.call(method, *args, clause=clause)
        if not same(got, expected):
            self.lines[-1] += f"  # expected {expected!r}, got {got!r}"
            reason = f" ({why})" if why else ""
            self.fail(
                f"{self._expr(method, args)}: expected {expected!r}, got {got!r}{reason}", clause
            )
        return got

    def raises(
        self,
        method: str,
        *args: Any,
        error: type[BaseException] | tuple[type[BaseException], ...],
        why: str = "",
        clause: str | None = None,
    ) -> None:
        """Call and assert it raises `error` (one of them, for a tuple)."""
        clause = clause or self.rule(method, args)
        expr = self._expr(method, args)
        names = (
            error.__name__ if isinstance(error, type) else " or ".join(e.__name__ for e in error)
        )
        self.lines.append(f"{expr}  # expected {names}")
        reason = f" ({why})" if why else ""
        try:
            got = getattr(self.ring, method)(*args)
        except error:
            return
        except Exception as other:
            self.fail(
                f"{expr}: expected {names}, got {type(other).__name__}: {other}{reason}", clause
            )
        self.fail(f"{expr}: expected {names}, got {got!r}{reason}", clause)

    # which clause gives the expected answer ------------------------------------------------

    def rule(self, method: str, args: tuple[Any, ...]) -> str | None:
        """The clause whose rule gives the answer the oracle expects of ``ring.method(*args)``
        now (the latest rule in play: down nodes before weights before the level-1 walk)."""
        first = args[0] if args else None
        if method in ("owner", "owners"):
            return self._lookup_rule(method, first)
        if method in ("remove", "mark_down") and first in self.model.placed.values():
            return "L4.6"  # the node's keys are assigned again
        if method in ("__len__", "__contains__", "add", "remove"):
            if self.model.down and (method == "__len__" or first in self.model.down):
                return "L3.3"
            return "L1.6" if method in ("add", "remove") else "L1.8"
        if method in ("mark_down", "mark_up"):
            if first not in self.model.counts:
                return "L3.5"
            return "L3.3" if method == "mark_down" else "L3.4"
        if method == "assign":
            return self._assign_rule(first)
        if method == "load":
            return self._load_rule()
        return "L4.4" if method == "release" else None

    def _lookup_rule(self, method: str, key: Any) -> str:
        if not self.model.up():
            return "L3.2" if method == "owners" else "L3.5" if self.model.counts else "L1.6"
        if self.recovered:
            return "L3.4"
        if self.was_down:
            return "L3.3"
        if method == "owners":
            return "L3.1"
        if self.weighted:
            return "L2.1"
        on_a_virtual_node = isinstance(key, str) and any(
            pos == position(key) for pos, _ in self.model.points()
        )
        return "L1.4" if on_a_virtual_node else "L1.3"

    def _assign_rule(self, key: Any) -> str:
        if not self.model.up():
            return "L4.3"
        if key in self.model.placed:
            return "L4.6" if key in self.moved else "L4.5" if self.churn else "L4.3"
        return self._load_rule()

    def _load_rule(self) -> str:
        return "L4.6" if self.left else "L4.4" if self.released else "L4.2"

    def _leave(self, node: str, before: dict[str, str]) -> None:
        """Note what a remove or mark_down of `node` did to the keys (`before` it)."""
        theirs = {key for key, holder in before.items() if holder == node}
        self.moved = (self.moved | theirs) & set(self.model.placed)
        self.left = self.left or bool(theirs)
        self.churn = self.churn or bool(before)

    # calls made on both the ring and the oracle ------------------------------------------

    def add(self, node: str, weight: Any = MISSING) -> None:
        if weight is MISSING:
            self.call("add", node)
            self.model.add(node)
        else:
            self.call("add", node, weight)
            self.model.add(node, weight)
        self.weighted = self.weighted or self.model.counts[node] != self.model.vnodes
        self.recovered = self.recovered or node in self.removed_down
        self.churn = self.churn or bool(self.model.placed)

    def remove(self, node: str) -> None:
        before = dict(self.model.placed)
        if node in self.model.down:
            self.removed_down.add(node)
        self.call("remove", node)
        self.model.remove(node)
        self._leave(node, before)

    def mark_down(self, node: str) -> None:
        before = dict(self.model.placed)
        self.call("mark_down", node)
        self.model.mark_down(node)
        self.was_down = True
        self._leave(node, before)

    def mark_up(self, node: str) -> None:
        self.recovered = self.recovered or node in self.model.down
        self.call("mark_up", node)
        self.model.mark_up(node)
        self.churn = self.churn or bool(self.model.placed)

    def check_owner(self, key: str, why: str = "", clause: str | None = None) -> str:
        expected = self.model.owner(key)
        if expected is None:
            self.raises("owner", key, error=LookupError, why=why or "no node is up", clause=clause)
            return ""
        return str(self.expect("owner", key, expected=expected, why=why, clause=clause))

    def check_owners(self, key: str, n: int, why: str = "") -> None:
        expected = self.model.owners(key, n)
        if not expected:
            self.raises("owners", key, n, error=LookupError, why=why or "no node is up")
        else:
            self.expect("owners", key, n, expected=expected, why=why)

    def check_len(self) -> None:
        self.expect("__len__", expected=len(self.model.counts))

    def assign(self, key: str, why: str = "") -> None:
        clause = self.rule("assign", (key,))
        expected = self.model.assign(key)
        if expected is None:
            self.raises("assign", key, error=LookupError, why=why or "no node is up", clause=clause)
        else:
            self.expect("assign", key, expected=expected, why=why, clause=clause)

    def release(self, key: str) -> None:
        expected = self.model.release(key)
        self.moved.discard(key)
        self.released = True
        self.churn = True
        if expected is None:
            self.raises("release", key, error=KeyError, why="the key is not assigned")
        else:
            self.expect("release", key, expected=expected)

    def check_loads(self, why: str = "") -> None:
        for node in self.model.counts:
            self.expect("load", node, expected=self.model.load(node), why=why)

    @staticmethod
    def _expr(method: str, args: tuple[Any, ...]) -> str:
        written = ", ".join(repr(a) for a in args)
        if method == "__len__":
            return "len(ring)"
        if method == "__contains__":
            return f"{written} in ring"
        return f"ring.{method}({written})"


def keys(count: int, prefix: str = "seg") -> list[str]:
    """`count` segment names: ``seg-0``, ``seg-1``, ..."""
    return [f"{prefix}-{i}" for i in range(count)]
