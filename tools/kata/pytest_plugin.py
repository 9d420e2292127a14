"""The pytest plugin loaded into every grading process (``-p kata.pytest_plugin``).

It is the only channel through which a verdict leaves the grading process: one JSON object per
line, appended to the file named by ``--kata-results`` (a directory the solution is not told
about). The runner never parses the process's stdout. Records, in order:

- ``{"event": "collected", "checks": [{"id", "name", "clauses", "level", "kind"}]}``
- ``{"event": "collect_error", "message"}`` for a test module that failed to import
- ``{"event": "start", "id"}`` before each check
- ``{"event": "result", "id", "outcome", "message", "example", "where", "output"}``
  with outcome ``passed`` | ``failed`` | ``skipped``
- ``{"event": "done", "threads": [...]}`` once the session ends, naming non-daemon threads
  still alive (they keep the process from exiting).

Hidden checks cite statement clauses with ``@pytest.mark.clause("L2.1", ...)``; a check's level is
the highest level it cites. ``@pytest.mark.performance`` makes its kind ``performance``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from hypothesis import HealthCheck, settings

OUTPUT_LIMIT = 500
MESSAGE_LIMIT = 4000
CLAUSE = re.compile(r"^L(\d+)\.\d+$")

settings.register_profile(
    "kata-quick",
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "kata-thorough",
    max_examples=300,
    stateful_step_count=60,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)

_stream: IO[str] | None = None
_solution_file: str = ""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kata")
    group.addoption("--kata-results", default=None, help="append JSON-lines records here")
    group.addoption("--kata-only", default=None, help="JSON file: the check ids to run")
    group.addoption("--kata-level", type=int, default=None, help="run levels 1..N only")
    group.addoption("--kata-profile", default=None, choices=["quick", "thorough"])
    group.addoption("--kata-solution", default="", help="path of the solution under test")


def pytest_configure(config: pytest.Config) -> None:
    global _stream, _solution_file
    config.addinivalue_line("markers", "clause(*ids): statement clauses a check tests")
    config.addinivalue_line("markers", "performance: a cost-growth check")
    profile = config.getoption("--kata-profile")
    if profile:
        settings.load_profile(f"kata-{profile}")
    path = config.getoption("--kata-results")
    if path:
        _stream = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives for the session
    _solution_file = config.getoption("--kata-solution") or ""


def _emit(record: dict[str, Any]) -> None:
    if _stream is not None:
        _stream.write(json.dumps(record) + "\n")
        _stream.flush()


def check_info(item: pytest.Item) -> dict[str, Any]:
    """The id, readable name, cited clauses, level and kind of one check."""
    clauses: list[str] = []
    for mark in item.iter_markers("clause"):
        clauses.extend(str(arg) for arg in mark.args)
    levels = [int(m.group(1)) for c in clauses if (m := CLAUSE.match(c))]
    name = getattr(item, "originalname", None) or item.name
    if name.startswith("test_"):
        name = name[len("test_") :]
    params = item.name[len(getattr(item, "originalname", item.name)) :].strip("[]")
    return {
        "id": item.nodeid,
        "name": name.replace("_", " ") + (f" ({params})" if params else ""),
        "clauses": clauses,
        "level": max(levels, default=1),
        "kind": "performance" if item.get_closest_marker("performance") else "correctness",
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    level = config.getoption("--kata-level")
    only_path = config.getoption("--kata-only")
    only = set(json.loads(Path(only_path).read_text())) if only_path else None
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        info = check_info(item)
        wanted = (level is None or info["level"] <= level) and (only is None or item.nodeid in only)
        (keep if wanted else drop).append(item)
    keep.sort(key=lambda item: check_info(item)["level"])
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _emit({"event": "collect_error", "message": str(report.longrepr)[-MESSAGE_LIMIT:]})


def pytest_collection_finish(session: pytest.Session) -> None:
    _emit({"event": "collected", "checks": [check_info(item) for item in session.items]})


class _CappedText:
    """A text stream that keeps the first `limit` characters written and counts the rest; its
    `value`, the note of what was dropped included, fits in `limit` characters (when the note
    alone does)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def value(self) -> str:
        text = "".join(self.kept)
        if not self.dropped:
            return text
        widest = f"\n[... {self.size + self.dropped} more characters not shown]"
        shown = max(0, self.limit - len(widest))
        return (
            text[:shown] + f"\n[... {len(text) - shown + self.dropped} more characters not shown]"
        )


_output: dict[str, _CappedText] = {}


@contextmanager
def _captured(nodeid: str) -> Iterator[None]:
    sink = _output.setdefault(nodeid, _CappedText(OUTPUT_LIMIT))
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink  # type: ignore[assignment,unused-ignore]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    _emit({"event": "start", "id": item.nodeid})
    with _captured(item.nodeid):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _captured(item.nodeid):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    with _captured(item.nodeid):
        yield


def _where(tb: Any) -> str:
    """`solution.py:LINE in FUNC` for the innermost traceback frame inside the solution."""
    found = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        if _solution_file and Path(code.co_filename).name == Path(_solution_file).name:
            found = f"{Path(code.co_filename).name}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return found


MEMORY_NOTE = "MemoryError: the solution ran out of memory (it hit the memory limit)"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """`error`, the exceptions it was raised from or while handling, and the members of exception
    groups (Hypothesis's FlakyFailure is one), each once."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [error]
    while stack:
        cause = stack.pop()
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        stack += [cause.__cause__, cause.__context__]
        if isinstance(cause, BaseExceptionGroup):
            stack += cause.exceptions


def _first_line(error: BaseException) -> str:
    """``Type: first line of text``; a wrapper with no text of its own (Hypothesis wraps a
    BaseException so) is described by what it wraps."""
    while not str(error) and error.__cause__ is not None:
        error = error.__cause__
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__


def _describe(excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, str]:
    """(message, example): the error's text and the minimal failing example Hypothesis noted.

    A MemoryError anywhere among the error's causes is named first; the members of an exception
    group are listed, one line each, after its own text."""
    error = excinfo.value
    notes = [str(n) for n in getattr(error, "__notes__", [])]
    example = "\n".join(notes)
    text = str(error)
    if isinstance(error, MemoryError):
        return MEMORY_NOTE, example[:MESSAGE_LIMIT]
    if isinstance(error, AssertionError):
        message = text or "assertion failed"
    else:
        message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if isinstance(error, BaseExceptionGroup):
        message += "".join(f"\n  {_first_line(member)}" for member in error.exceptions)
    if any(isinstance(cause, MemoryError) for cause in _causes(error)):
        message = f"{MEMORY_NOTE}\n{message}"
    return message[:MESSAGE_LIMIT], example[:MESSAGE_LIMIT]


_failure: dict[str, dict[str, Any]] = {}
_skipped: dict[str, str] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    nodeid = item.nodeid
    if report.failed and nodeid not in _failure and call.excinfo is not None:
        message, example = _describe(call.excinfo)
        if report.when != "call":
            message = f"(during {report.when}) {message}"
        _failure[nodeid] = {
            "message": message,
            "example": example,
            "where": _where(call.excinfo.tb),
        }
    elif report.skipped and call.excinfo is not None:
        _skipped[nodeid] = str(call.excinfo.value)[:MESSAGE_LIMIT]
    if report.when != "teardown":
        return
    record: dict[str, Any] = {"event": "result", "id": nodeid, "outcome": "passed"}
    record.update({"message": "", "example": "", "where": ""})
    if nodeid in _failure:
        record.update(_failure.pop(nodeid), outcome="failed")
    elif nodeid in _skipped:
        record.update(outcome="skipped", message=_skipped.pop(nodeid))
    record["output"] = _output.pop(nodeid, _CappedText(0)).value()
    _emit(record)


def pytest_sessionfinish(session: pytest.Session) -> None:
    alive = [
        t.name
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and t.is_alive()
    ]
    _emit({"event": "done", "threads": alive})
