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

from kata.verdicts import Breaks

# How the concurrency checks wait. A check never decides that a correct solution is wrong because
# a thread was slow: every verdict rests on positive evidence (a call returned, a compute started,
# a thread made progress) awaited with a timeout that only a broken solution reaches. The timeouts
# are many times what a correct solution needs even when a thread is not scheduled for a second or
# more (4 busy processes on 2 cores), and below the grader's 10 s per check, so a solution that
# waits where it must not is reported by the check itself with a message, not by the grader's
# clock.

TIMEOUT = 5.0
"""Seconds a check waits for something a correct solution does at once (a call returning, a
compute being called) before it fails: a correct solution needs microseconds of CPU for it."""

PROMPT = 5.0
"""Seconds a call that must not wait for a running compute may take before the check fails. A
correct call returns after microseconds of CPU; a call that waits for the compute never returns
before the check releases it, so the check needs no short sleep to tell the two apart."""

AFTER_ONE_RAN_OUT = 0.25
"""Seconds a wait may take once an earlier wait in this grading process has run out. A correct
solution never reaches any timeout, so this only applies to a solution already seen waiting
where it must not (a lock held during compute, say): each later check would otherwise wait out
its own full timeout again, and a grade would take a minute to say the same thing twelve times.
A quarter of a second is still thousands of times what a correct call needs."""

_ran_out: list[str] = []
"""What the first wait that ran out of time in this process was waiting for."""


def wait_limit(timeout: float) -> float:
    return min(timeout, AFTER_ONE_RAN_OUT) if _ran_out else timeout


def ran_out_text(what: str, waited: float, timeout: float) -> str:
    """Why a wait of `waited` seconds failed, and note it for later waits."""
    earlier = (
        f" (an earlier check already saw {_ran_out[0]} keep waiting, so this one was not "
        f"waited for the full {timeout:g} s)"
        if _ran_out and waited < timeout
        else ""
    )
    _ran_out.append(what)
    return f"{what} did not return within {waited:g} s{earlier}"


LEAK_GUARD = 60.0
"""Seconds a blocked compute waits for its release before giving up. The check always releases
it on the way out (a ``finally``), so this only ends a thread a crashed check left behind; it is
far above the grader's limit per check, so it never decides a verdict."""

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


def same_value(got: Any, expected: Any) -> bool:
    """Whether `got` is `expected` with its exact type: ``None`` by identity, a ``bool`` a
    ``bool``, an ``int`` an ``int``, a tuple a ``tuple`` whose items are each the same value.

    The types are compared before ``==``, so the comparison runs the built-in type's ``__eq__``:
    an object whose ``__eq__`` answers True to everything cannot pass for the expected value."""
    if expected is None:
        return got is None
    if type(got) is not type(expected):
        return False
    if isinstance(expected, tuple):
        return len(got) == len(expected) and all(map(same_value, got, expected))
    return bool(got == expected)


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
               shown: Sequence[str] | None = None,
               blame: Callable[[Any], tuple[str, str]] | None = None) -> Any:
        """Call and assert the result is `expected`, type included (see `same_value`). A check
        of several clauses passes `blame`: given the wrong answer, the clause it breaks and why
        (the failure is then raised as `Breaks`, cited to that clause)."""
        got = self.call(method, *args, shown=shown)
        if not same_value(got, expected):
            self.lines[-1] += f"  # expected {expected!r}, got {got!r}"
            reason = f" ({why})" if why else ""
            text = f"{self.lines[-1].split('  #')[0]}: expected {expected!r}, got {got!r}{reason}"
            if blame is not None:
                clause, words = blame(got)
                raise Breaks(clause, message=f"{text}\nthe failing example breaks {clause}: "
                                             f"{words}\n\n{self.repro()}")
            raise AssertionError(f"{text}\n\n{self.repro()}")
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
        waited = wait_limit(timeout)
        if not self.finished.wait(waited):
            raise AssertionError(repro_message(
                f"{ran_out_text(what, waited, timeout)} (expected it to return, got a call "
                "that kept waiting)", snippet))
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
        if not self.release.wait(LEAK_GUARD):
            raise TimeoutError("the check never released this compute")
        if self.error is not None:
            raise self.error
        return list(self.result)

    def wait_started(self, snippet: str) -> None:
        waited = wait_limit(TIMEOUT)
        if not self.started.wait(waited):
            text = ran_out_text("the call of compute", waited, TIMEOUT)
            raise AssertionError(repro_message(
                f"{text.replace('did not return', 'did not happen')} (expected get_or_compute "
                "to call it on a miss)", snippet))


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


_WAITS = {"wait", "wait_for", "acquire"}
"""Blocking functions of the threading module (Condition.wait, Event.wait, Semaphore.acquire...)."""


def _blocked_in_a_wait(frame: Any) -> bool:
    """True when the thread's innermost Python frame is a blocking wait of the threading module
    called from solution.py: positive evidence that it is parked (it is not merely descheduled,
    since it got as far as calling the wait)."""
    return (
        frame is not None
        and Path(frame.f_code.co_filename).name == "threading.py"
        and frame.f_code.co_name in _WAITS
        and _in_solution(frame)
    )


def settle(workers: Sequence[Worker], quiet: float = 0.15, limit: float = 2.0) -> None:
    """Return once every worker has finished or looks parked inside solution.py, or after `limit`
    seconds. Never fails: checks call it only to let threads arrive before going on.

    A worker looks parked when it is blocked in a wait of the threading module called from
    solution.py (positive evidence: the reference and the alternative wait on an Event or a
    Condition), or, for a solution that waits some other way (a bare Lock), when its stack inside
    solution.py has not changed for `quiet` seconds.

    The second rule can be fooled: a thread that the machine did not schedule for `quiet` seconds
    also has an unchanged stack, and `limit` can pass before a thread arrives at all. That is why
    no verdict rests on it. Every check that calls `settle` accepts each outcome a correct
    solution may produce for a thread that arrives late (after the check went on), and says so in
    a comment; an early return only makes the check weaker in that run (the interleaving that
    tells a broken solution apart did not happen), never wrong. On a quiet machine the threads
    park within milliseconds, so the interleaving the check aims at happens in practice.
    """
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
            if _blocked_in_a_wait(frame):
                continue
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


STALL_SAMPLES = 100
"""Consecutive samples without progress after which `join_while_progressing` calls it a deadlock."""

SAMPLE = 0.05
"""Seconds between two samples (so a deadlock is reported after at least 5 s)."""


def join_while_progressing(workers: Sequence[Worker], progress: Sequence[int], what: str,
                           snippet: str) -> None:
    """Wait until every worker has finished, as long as they make progress (`progress` holds a
    counter per worker that it raises before each call); fail once no worker has finished or
    moved its counter over STALL_SAMPLES consecutive samples taken SAMPLE seconds apart.

    Why this cannot fail a correct solution on a busy machine: in a correct solution no call
    blocks for longer than another thread's call in progress (the stress computes return at
    once), so some worker can always move. This thread sleeps between samples, giving up the
    interpreter lock, which CPython hands to a waiting thread at least every switch interval
    (5 ms); and the operating system runs every runnable thread of the process many times per
    second even with 4 busy processes on 2 cores. A hundred samples over 5 s or more in which no
    worker moved therefore means that every worker is blocked. A freeze of the whole process
    (every thread descheduled) adds no samples, so it cannot produce the failure either. A slow
    but progressing solution is never failed here: only the grader's time limit per check bounds
    it, and that is reported as too slow, not as wrong."""
    last: tuple[int, ...] | None = None
    still = 0
    while not all(w.finished.is_set() for w in workers):
        time.sleep(SAMPLE)
        state = (*progress, sum(w.finished.is_set() for w in workers))
        if state != last:
            last, still = state, 0
            continue
        still += 1
        if still >= STALL_SAMPLES:
            stuck = [w.thread.name for w in workers if not w.finished.is_set()]
            raise AssertionError(repro_message(
                f"{what}: none made progress for {STALL_SAMPLES * SAMPLE:g} s (expected every "
                f"call to return; {', '.join(stuck)} kept waiting: a deadlock)", snippet))
