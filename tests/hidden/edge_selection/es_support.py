"""Shared helpers for the edge_selection checks: a ring beside the oracle, with a transcript of
every call as runnable code (used in every failure message)."""

from __future__ import annotations

from typing import Any

from es_oracle import OracleRing
from solution import EdgeRing

MISSING = object()


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
        self.ring = EdgeRing(*args, **kwargs)
        self.model = OracleRing(*args, **kwargs)

    def code(self) -> str:
        return "\n".join(self.lines)

    def fail(self, message: str) -> None:
        raise AssertionError(repro_message(message, self.code()))

    def call(self, method: str, *args: Any) -> Any:
        """Call ``ring.method(*args)`` and record it; an exception fails the check."""
        expr = self._expr(method, args)
        self.lines.append(expr)
        try:
            return getattr(self.ring, method)(*args)
        except Exception as error:
            self.lines[-1] += f"  # raised {type(error).__name__}: {error}"
            raise AssertionError(repro_message(
                f"{expr} raised {type(error).__name__}: {error}", self.code())) from error

    def expect(self, method: str, *args: Any, expected: Any, why: str = "") -> Any:
        """Call and assert the result equals `expected`, with its exact type."""
        got = self.call(method, *args)
        if not same(got, expected):
            self.lines[-1] += f"  # expected {expected!r}, got {got!r}"
            reason = f" ({why})" if why else ""
            self.fail(f"{self._expr(method, args)}: expected {expected!r}, got {got!r}{reason}")
        return got

    def raises(self, method: str, *args: Any, error: type[BaseException] | tuple[type[BaseException], ...],
               why: str = "") -> None:
        """Call and assert it raises `error` (one of them, for a tuple)."""
        expr = self._expr(method, args)
        names = error.__name__ if isinstance(error, type) else " or ".join(e.__name__ for e in error)
        self.lines.append(f"{expr}  # expected {names}")
        reason = f" ({why})" if why else ""
        try:
            got = getattr(self.ring, method)(*args)
        except error:
            return
        except Exception as other:
            self.fail(f"{expr}: expected {names}, got {type(other).__name__}: {other}{reason}")
        self.fail(f"{expr}: expected {names}, got {got!r}{reason}")

    # calls made on both the ring and the oracle ------------------------------------------

    def add(self, node: str, weight: Any = MISSING) -> None:
        if weight is MISSING:
            self.call("add", node)
            self.model.add(node)
        else:
            self.call("add", node, weight)
            self.model.add(node, weight)

    def remove(self, node: str) -> None:
        self.call("remove", node)
        self.model.remove(node)

    def mark_down(self, node: str) -> None:
        self.call("mark_down", node)
        self.model.mark_down(node)

    def mark_up(self, node: str) -> None:
        self.call("mark_up", node)
        self.model.mark_up(node)

    def check_owner(self, key: str, why: str = "") -> str:
        expected = self.model.owner(key)
        if expected is None:
            self.raises("owner", key, error=LookupError, why=why or "no node is up")
            return ""
        return str(self.expect("owner", key, expected=expected, why=why))

    def check_owners(self, key: str, n: int, why: str = "") -> None:
        expected = self.model.owners(key, n)
        if not expected:
            self.raises("owners", key, n, error=LookupError, why=why or "no node is up")
        else:
            self.expect("owners", key, n, expected=expected, why=why)

    def check_len(self) -> None:
        self.expect("__len__", expected=len(self.model.counts))

    def assign(self, key: str, why: str = "") -> None:
        expected = self.model.assign(key)
        if expected is None:
            self.raises("assign", key, error=LookupError, why=why or "no node is up")
        else:
            self.expect("assign", key, expected=expected, why=why)

    def release(self, key: str) -> None:
        expected = self.model.release(key)
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
