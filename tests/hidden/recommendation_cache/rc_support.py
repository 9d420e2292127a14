"""Shared helpers for the recommendation_cache checks: a fake clock, a scenario that keeps a
transcript of API calls as runnable code (used in every failure message), and thread helpers in
which every wait has a timeout."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from solution import RecommendationCache

TIMEOUT = 5.0
"""Seconds any wait in a check may take before the check fails instead of hanging."""

PROMPT = 3.0
"""Seconds a call that must not wait for a running compute may take."""

CLOCK_SOURCE = '''class FakeClock:
    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now
'''


class FakeClock:
    """A clock the checks move by hand: ``clock.now = 5.0``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Scenario:
    """A cache under a fake clock plus the transcript of every call made on it, as code."""

    def __init__(self, capacity: int = 64, ttl: float = 10.0, start: float = 0.0) -> None:
        self.clock = FakeClock(start)
        self.cache = RecommendationCache(capacity, ttl, self.clock)
        self.lines = [
            "from solution import RecommendationCache",
            "",
            CLOCK_SOURCE,
            f"clock = FakeClock({start!r})",
            f"cache = RecommendationCache(capacity={capacity!r}, ttl={ttl!r}, clock=clock)",
        ]

    def code(self) -> str:
        """The transcript so far: paste it into a file next to solution.py and run it."""
        return "\n".join(self.lines)

    def note(self, line: str) -> None:
        """Add a line of code the check ran itself (for example mutating a list)."""
        self.lines.append(line)

    def at(self, now: float) -> None:
        """Move the fake clock to `now` (it never goes backwards)."""
        self.clock.now = now
        self.lines.append(f"clock.now = {now!r}")

    def call(self, method: str, *args: Any, shown: Sequence[str] | None = None) -> Any:
        """Call ``cache.method(*args)`` and record it; `shown` overrides how args are written."""
        written = ", ".join(shown if shown is not None else [repr(a) for a in args])
        expr = "len(cache)" if method == "__len__" else f"cache.{method}({written})"
        self.lines.append(expr)
        try:
            return getattr(self.cache, method)(*args)
        except Exception as error:
            self.lines[-1] += f"  # raised {type(error).__name__}: {error}"
            raise AssertionError(
                f"{expr} raised {type(error).__name__}: {error}\n\n{self.repro()}"
            ) from error

    def expect(self, method: str, *args: Any, expected: Any, why: str = "",
               shown: Sequence[str] | None = None) -> Any:
        """Call and assert the result equals `expected` (a tuple must be a tuple, a bool a bool)."""
        got = self.call(method, *args, shown=shown)
        same = got == expected and (expected is None or type(got) is type(expected))
        if not same:
            self.lines[-1] += f"  # expected {expected!r}, got {got!r}"
            reason = f" ({why})" if why else ""
            raise AssertionError(
                f"{self.lines[-1].split('  #')[0]}: expected {expected!r}, got {got!r}{reason}\n\n"
                f"{self.repro()}"
            )
        return got

    def expect_len(self, expected: int, why: str = "") -> None:
        """Assert ``len(cache) == expected``."""
        self.expect("__len__", expected=expected, why=why)

    def fail(self, message: str) -> None:
        """Fail with `message` and the transcript."""
        raise AssertionError(f"{message}\n\n{self.repro()}")

    def repro(self) -> str:
        return f"Reproduce with:\n\n{self.code()}\n"


def repro_message(message: str, snippet: str) -> str:
    """A failure message followed by a runnable snippet."""
    return f"{message}\n\nReproduce with:\n\n{snippet.strip()}\n"


# --- threads -------------------------------------------------------------------------------


class Worker:
    """Runs `target` in a daemon thread and keeps its result or exception."""

    def __init__(self, target: Callable[[], Any], name: str = "worker") -> None:
        self._target = target
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.result = self._target()
        except BaseException as error:
            self.error = error
        finally:
            self.finished.set()

    def start(self) -> Worker:
        self.thread.start()
        return self

    def wait(self, what: str, snippet: str, timeout: float = TIMEOUT) -> Any:
        """The target's result; fails if it did not return within `timeout` or raised."""
        if not self.finished.wait(timeout):
            raise AssertionError(repro_message(
                f"{what} did not return within {timeout:g} s (expected it to return, got a "
                "call that kept waiting)", snippet))
        if self.error is not None:
            raise AssertionError(repro_message(
                f"{what} raised {type(self.error).__name__}: {self.error} (expected it to "
                "return)", snippet)) from self.error
        return self.result


def promptly(target: Callable[[], Any], what: str, snippet: str, timeout: float = PROMPT) -> Any:
    """Run `target` in a thread and return its result; fail if it waits longer than `timeout`
    (used for calls that must not wait for a running compute)."""
    return Worker(target, name=what).start().wait(
        f"{what} (while another compute was blocked)", snippet, timeout)


class BlockingCompute:
    """A compute function that blocks until released, then returns `result` (a fresh list)."""

    def __init__(self, result: Sequence[str], error: BaseException | None = None) -> None:
        self.result = list(result)
        self.error = error
        self.started = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self) -> list[str]:
        with self._lock:
            self.calls += 1
        self.started.set()
        if not self.release.wait(TIMEOUT):
            raise TimeoutError("the check never released this compute")
        if self.error is not None:
            raise self.error
        return list(self.result)

    def wait_started(self, snippet: str) -> None:
        if not self.started.wait(TIMEOUT):
            raise AssertionError(repro_message(
                f"compute was not called within {TIMEOUT:g} s (expected get_or_compute to call "
                "it on a miss)", snippet))


class CountingCompute:
    """A compute function that returns at once and counts its calls."""

    def __init__(self, result: Sequence[str]) -> None:
        self.result = list(result)
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self) -> list[str]:
        with self._lock:
            self.calls += 1
        return list(self.result)


def _in_solution(frame: Any) -> bool:
    while frame is not None:
        if Path(frame.f_code.co_filename).name == "solution.py":
            return True
        frame = frame.f_back
    return False


def _where(frame: Any) -> tuple[tuple[str, int], ...]:
    stack = []
    while frame is not None:
        stack.append((frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return tuple(stack)


def settle(workers: Sequence[Worker], quiet: float = 0.15, limit: float = 2.0) -> None:
    """Return once every worker has finished, or is inside solution.py and has not moved for
    `quiet` seconds (it is waiting). Never fails: callers only use it to let threads arrive before
    the check goes on."""
    deadline = time.monotonic() + limit
    seen: dict[int, tuple[tuple[str, int], ...]] = {}
    since: dict[int, float] = {}
    while time.monotonic() < deadline:
        frames = sys._current_frames()
        now = time.monotonic()
        settled = True
        for worker in workers:
            ident = worker.thread.ident
            if worker.finished.is_set() or ident is None:
                continue
            frame = frames.get(ident)
            where = _where(frame)
            if not _in_solution(frame) or seen.get(ident) != where:
                seen[ident] = where
                since[ident] = now
                settled = False
            elif now - since[ident] < quiet:
                settled = False
        if settled:
            return
        time.sleep(0.005)
