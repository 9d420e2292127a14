"""The pytest plugin loaded into every grading process (``-p kata.pytest_plugin``).

It is the only channel through which a verdict leaves the grading process: one JSON object per
line, appended to the file named by ``--kata-results`` (a directory the solution is not told
about). The runner never parses the process's stdout. Records, in order:

- ``{"event": "collected", "checks": [{"id", "name", "clauses", "level", "kind"}]}``
- ``{"event": "collect_error", "message"}`` for a test module that failed to import
- ``{"event": "start", "id"}`` before each check
- ``{"event": "strike", "key"}`` the moment a guarded call (``--kata-hung``) is stopped, so the
  grader counts it even if the process is stopped before the check's result is in
- ``{"event": "progress", "id", "examples"}`` after each example a Hypothesis check has run, so the
  grader can say how far a check that ran out of time got
- ``{"event": "result", "id", "outcome", "message", "example", "where", "output"}``
  with outcome ``passed`` | ``failed`` | ``skipped``
- a result's outcome is ``hung`` when the check called a method that had hung in an earlier
  check (``--kata-hung``) and that call did not return in time or was not made
- a result's outcome is ``undecided``, with ``clauses`` naming the clauses that fail first, when
  the check raised `kata.verdicts.NotDecided` (its message: ``not decided: L1.5 fails first: ...``)
- a failed result has ``clauses`` when the check raised `kata.verdicts.Breaks`: the clauses its
  failing example breaks, which the check is then cited to instead of all it tests
- ``{"event": "done", "threads": [...]}`` once the session ends, naming non-daemon threads
  still alive (they keep the process from exiting).

Hidden checks cite statement clauses with ``@pytest.mark.clause("L2.1", ...)``; a check's level is
the highest level it cites. ``@pytest.mark.performance`` makes its kind ``performance``.
"""

from __future__ import annotations

import faulthandler
import functools
import json
import re
import signal
import sys
import textwrap
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, settings

from kata.verdicts import Breaks, NotDecided

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

QUICK_SHRINK_SECONDS = 1
"""How long Hypothesis may shrink one failing example in the quick profile (its own default is
300 s): a learner waiting for a grade wants a small example soon, not the smallest one late."""


class _State:
    """Everything the plugin keeps for one grading process, in one place."""

    def __init__(self) -> None:
        self.stream: IO[str] | None = None
        self.solution_file: str = ""
        self.stacks: IO[str] | None = None
        self.rootdir: str = ""
        self.strikes: dict[str, int] = {}
        self.hung_seconds: float = 1.0
        self.hung_in: dict[str, tuple[str, str]] = {}
        self.current: str = ""
        self.armed: str = ""
        self.output: dict[str, _CappedText] = {}
        self.failure: dict[str, dict[str, Any]] = {}
        self.skipped: dict[str, str] = {}


_state = _State()


def _limit_shrinking(seconds: int) -> None:
    """Bound the time Hypothesis spends shrinking one failure (an engine constant; left as it
    is where a Hypothesis version does not have it)."""
    try:
        from hypothesis.internal.conjecture import engine  # noqa: PLC0415 - may be absent
    except ImportError:  # pragma: no cover - layout of another Hypothesis version
        return
    if hasattr(engine, "MAX_SHRINKING_SECONDS"):
        engine.MAX_SHRINKING_SECONDS = seconds


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kata")
    group.addoption("--kata-results", default=None, help="append JSON-lines records here")
    group.addoption("--kata-only", default=None, help="JSON file: the check ids to run")
    group.addoption("--kata-level", type=int, default=None, help="run levels 1..N only")
    group.addoption("--kata-profile", default=None, choices=["quick", "thorough"])
    group.addoption("--kata-solution", default="", help="path of the solution under test")
    group.addoption(
        "--kata-stacks",
        default=None,
        help="dump every thread's stack here on SIGUSR1 (the grader sends it before a kill)",
    )
    group.addoption(
        "--kata-hung",
        default=None,
        help="JSON {name: strikes}: solution methods that hung in earlier checks",
    )
    group.addoption(
        "--kata-hung-seconds", type=float, default=1.0, help="how long a suspect call may take"
    )
    group.addoption(
        "--kata-examples-first",
        action="store_true",
        help="run example-based tests before property-based ones",
    )
    group.addoption(
        "--kata-first",
        default=None,
        help="JSON file: check ids to run before the others, in this order",
    )
    group.addoption(
        "--kata-shard",
        default=None,
        help="K/N: run only the checks at positions K, K+N, K+2N, ... of the run's order",
    )
    group.addoption(
        "--kata-no-shrink",
        action="store_true",
        help="report the first failing example unshrunk (only pass or fail matters)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): statement clauses a check tests")
    config.addinivalue_line("markers", "performance: a cost-growth check")
    profile = config.getoption("--kata-profile")
    if profile:
        settings.load_profile(f"kata-{profile}")
    if profile == "quick":
        _limit_shrinking(QUICK_SHRINK_SECONDS)
    if config.getoption("--kata-no-shrink"):
        settings.register_profile(
            "kata-no-shrink",
            parent=settings.default,
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
        )
        settings.load_profile("kata-no-shrink")
    path = config.getoption("--kata-results")
    if path:
        _state.stream = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives for the session
    _state.solution_file = config.getoption("--kata-solution") or ""
    _state.rootdir = f"{config.rootpath}/"
    stacks = config.getoption("--kata-stacks")
    if stacks and hasattr(signal, "SIGUSR1"):
        _state.stacks = open(stacks, "w", encoding="utf-8")  # noqa: SIM115 - lives for the session
        faulthandler.register(signal.SIGUSR1, file=_state.stacks, all_threads=True)


def _emit(record: dict[str, Any]) -> None:
    """Append one record; paths inside the work directory are shown relative to it."""
    if _state.rootdir:
        record = {
            k: v.replace(_state.rootdir, "") if isinstance(v, str) else v for k, v in record.items()
        }
    if _state.stream is not None:
        _state.stream.write(json.dumps(record) + "\n")
        _state.stream.flush()


_SIMPLE = (str, bytes, int, float, bool, type(None))


def _parameters(item: pytest.Item) -> str:
    """A parametrized check's parameters as the code would write them (``'10'`` and ``10``
    differ); pytest's own id where a value has no short literal form."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return ""
    values = list(callspec.params.values())
    if values and all(isinstance(v, _SIMPLE) and len(repr(v)) <= 40 for v in values):
        return ", ".join(repr(v) for v in values)
    return str(callspec.id)


def _words(name: str) -> str:
    """``test_a_new_total`` -> ``a new total``; ``TestRejectedValuesLeaveNoTrace`` -> ``rejected
    values leave no trace``."""
    name = name.removeprefix("test_").removeprefix("Test")
    if "_" not in name and name[:1].isupper():
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return name.replace("_", " ").strip().lower() if name[:1].isupper() else name.replace("_", " ")


def is_property(item: pytest.Item) -> bool:
    """Whether the check draws examples with Hypothesis (a @given test or a state machine)."""
    obj = getattr(item, "obj", None)
    if hasattr(obj, "hypothesis"):
        return True
    cls = getattr(item, "cls", None)
    if cls is None:
        return False
    if any(k.__name__ == "RuleBasedStateMachine" for k in cls.__mro__):
        return True
    # `Machine.TestCase` is a unittest class whose runTest closes over the machine class.
    cells = getattr(getattr(cls, "runTest", None), "__closure__", None) or ()
    return any(
        isinstance(value, type)
        and any(k.__name__ == "RuleBasedStateMachine" for k in value.__mro__)
        for value in (_cell_value(cell) for cell in cells)
    )


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def check_info(item: pytest.Item) -> dict[str, Any]:
    """The id, readable name, cited clauses, level and kind of one check."""
    clauses: list[str] = []
    for mark in item.iter_markers("clause"):
        clauses.extend(str(arg) for arg in mark.args)
    levels = [int(m.group(1)) for c in clauses if (m := CLAUSE.match(c))]
    name = getattr(item, "originalname", None) or item.name
    if name == "runTest" and item.parent is not None:
        name = item.parent.name  # a state machine's TestCase: the name the module gives it
    params = _parameters(item)
    return {
        "id": item.nodeid,
        "name": _words(name) + (f" ({params})" if params else ""),
        "clauses": clauses,
        "level": max(levels, default=1),
        "kind": "performance" if item.get_closest_marker("performance") else "correctness",
        "property": is_property(item),
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    level = config.getoption("--kata-level")
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (keep if level is None or check_info(item)["level"] <= level else drop).append(item)
    if config.getoption("--kata-examples-first"):
        keep.sort(key=is_property)  # stable: example-based tests first, each group in file order
    keep.sort(key=lambda item: check_info(item)["level"])
    first_path = config.getoption("--kata-first")
    if first_path:
        rank = {nodeid: i for i, nodeid in enumerate(json.loads(Path(first_path).read_text()))}
        keep.sort(key=lambda item: rank.get(item.nodeid, len(rank)))
    shard = config.getoption("--kata-shard")
    if shard:  # on the whole order, before --kata-only: a process started again keeps its shard
        index, count = (int(part) for part in shard.split("/"))
        drop += [item for i, item in enumerate(keep) if i % count != index]
        keep = keep[index::count]
    only_path = config.getoption("--kata-only")
    if only_path:
        only = set(json.loads(Path(only_path).read_text()))
        drop += [item for item in keep if item.nodeid not in only]
        keep = [item for item in keep if item.nodeid in only]
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _emit({"event": "collect_error", "message": str(report.longrepr)[-MESSAGE_LIMIT:]})


class HungCall(BaseException):
    """Raised in place of a call to a solution method that hung in earlier checks. It is a
    BaseException so that no check's ``except Exception`` or ``pytest.raises`` takes it for an
    answer; the check it happens in is reported as not decided, whatever its outcome."""


"""Check id -> (method, what happened) for the guard that fired during that check."""
"""The guarded method whose alarm is running ("" when none is)."""
STRIKES_TO_SKIP = 2
"""After this many hangs a method is no longer called at all."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise HungCall(f"`{_state.armed}` did not return within {_state.hung_seconds:g} s")


def _guard(name: str, method: Any, key: str | None = None) -> Any:
    """`method`, watched: on the main thread a call may take `_state.hung_seconds` (SIGALRM); once
    the
    method has hung STRIKES_TO_SKIP times it is not called and HungCall is raised at once.
    Strikes are counted under `key` (default `name`): every name that holds one code object
    shares its strikes."""
    key = key or name

    @functools.wraps(method)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _state.strikes.get(key, 0) >= STRIKES_TO_SKIP:
            why = f"`{name}` was not called here: it hung in {_state.strikes[key]} earlier checks"
            _state.hung_in.setdefault(_state.current, (name, why))
            raise HungCall(why)
        if _state.armed or threading.current_thread() is not threading.main_thread():
            return method(*args, **kwargs)
        _state.armed = name
        signal.setitimer(signal.ITIMER_REAL, _state.hung_seconds)
        try:
            return method(*args, **kwargs)
        except HungCall:
            _state.strikes[key] = _state.strikes.get(key, 0) + 1
            _emit({"event": "strike", "key": key})
            _state.hung_in.setdefault(
                _state.current,
                (
                    name,
                    f"`{name}` hung in an earlier check, and a call here did not return "
                    f"within {_state.hung_seconds:g} s",
                ),
            )
            raise
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _state.armed = ""

    return guarded


def _runs(code: Any, key: str, filename: str) -> bool:
    """Whether `code` is what the hung-code `key` names: ``name:line`` (the code object named
    `name`, of the solution file, whose lines span `line`) or a bare ``name`` (any code object
    of that name)."""
    name, _, line = key.rpartition(":")
    if not name or not line.isdigit():
        return bool(code.co_name == key)
    if code.co_name != name or Path(code.co_filename).name != filename:
        return False
    lines = [n for _, _, n in code.co_lines() if n is not None]
    return bool(code.co_firstlineno <= int(line) <= max(lines, default=code.co_firstlineno))


def _function_of(value: Any) -> tuple[Any, Any]:
    """(the plain function `value` holds, how to wrap a replacement like it) or (None, None)."""
    if isinstance(value, staticmethod | classmethod):
        return value.__func__, type(value)
    if isinstance(value, property) and value.fget is not None:
        return value.fget, lambda f: property(f, value.fset, value.fdel, value.__doc__)
    if callable(value) and hasattr(value, "__code__"):
        return value, lambda f: f
    return None, None


def _guard_code(module: Any, keys: list[str]) -> dict[int, Any]:
    """Replace, in `module` and its classes, every function whose code object a key of `keys`
    names, whatever name holds it (a function assigned as a method, a staticmethod, a helper);
    returns id(original) -> replacement. O(attributes of the module and its classes)."""
    filename = Path(_state.solution_file).name if _state.solution_file else "solution.py"
    swapped: dict[int, Any] = {}
    for owner in [module, *(v for v in vars(module).values() if isinstance(v, type))]:
        if isinstance(owner, type) and owner.__module__ != module.__name__:
            continue
        for attr, value in list(vars(owner).items()):
            function, wrap = _function_of(value)
            code = getattr(function, "__code__", None)
            key = next((k for k in keys if code is not None and _runs(code, k, filename)), None)
            if key is None or wrap is None:
                continue
            replacement = wrap(_guard(attr, function, key))
            swapped[id(value)] = replacement
            setattr(owner, attr, replacement)
    return swapped


def _watch_hung_methods(session: pytest.Session) -> None:
    """Guard the solution's code that hung in earlier checks (``--kata-hung``: keys of code
    objects, see `_runs`), wherever the solution module, its classes and the test modules hold
    it (``from solution import f`` copies the name)."""
    spec = session.config.getoption("--kata-hung")
    module = sys.modules.get("solution")
    if not spec or module is None or not hasattr(signal, "SIGALRM"):
        return
    _state.strikes.update({str(k): int(v) for k, v in json.loads(spec).items()})
    _state.hung_seconds = session.config.getoption("--kata-hung-seconds")
    signal.signal(signal.SIGALRM, _on_alarm)
    swapped = _guard_code(module, list(_state.strikes))
    for other in list(sys.modules.values()):
        space = getattr(other, "__dict__", {})
        if other is module or not str(getattr(other, "__file__", "")).startswith(
            str(session.config.rootpath)
        ):
            continue
        for key, value in list(space.items()):
            if id(value) in swapped:
                space[key] = swapped[id(value)]


def pytest_collection_finish(session: pytest.Session) -> None:
    _watch_hung_methods(session)
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


@contextmanager
def _captured(nodeid: str) -> Iterator[None]:
    sink = _state.output.setdefault(nodeid, _CappedText(OUTPUT_LIMIT))
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink  # type: ignore[assignment,unused-ignore]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    _state.current = item.nodeid
    _emit({"event": "start", "id": item.nodeid})
    with _captured(item.nodeid):
        yield


def _count_examples(item: pytest.Item) -> None:
    """Make a Hypothesis check emit a progress record after each example it runs."""
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    inner = getattr(handle, "inner_test", None)
    if handle is None or inner is None or getattr(inner, "_kata_counted", False):
        return
    examples = 0

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal examples
        try:
            return inner(*args, **kwargs)
        finally:
            examples += 1
            _emit({"event": "progress", "id": item.nodeid, "examples": examples})

    counted = functools.wraps(inner)(counted)  # Hypothesis names the example after the test
    counted._kata_counted = True  # type: ignore[attr-defined]
    handle.inner_test = counted


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    _count_examples(item)
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
        if _state.solution_file and Path(code.co_filename).name == Path(_state.solution_file).name:
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
    text, marker, snippet = (*REPRODUCE.split(text, maxsplit=1), "", "")[:3]
    if marker:
        # A check's runnable snippet is the example to show; Hypothesis's notes follow it.
        text = text.rstrip()
        example = textwrap.dedent(snippet).strip("\n") + (
            "\n\n" + "\n".join(f"# {line}" for line in example.splitlines()) if example else ""
        )
    if isinstance(error, MemoryError):
        return MEMORY_NOTE, example[:MESSAGE_LIMIT]
    if isinstance(error, AssertionError | NotDecided):
        message = text or "assertion failed"
    else:
        message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if isinstance(error, BaseExceptionGroup):
        message += "".join(f"\n  {_first_line(member)}" for member in error.exceptions)
    if any(isinstance(cause, MemoryError) for cause in _causes(error)):
        message = f"{MEMORY_NOTE}\n{message}"
    return message[:MESSAGE_LIMIT], example[:MESSAGE_LIMIT]


REPRODUCE = re.compile(r"(\n[ \t]*\n[ \t]*Reproduce with:[ \t]*\n)")
"""Where a hidden check's message ends and its runnable snippet begins."""


_Verdict = TypeVar("_Verdict", NotDecided, Breaks)


def _raised(error: BaseException, kind: type[_Verdict]) -> _Verdict | None:
    """The `kind` (`NotDecided` or `Breaks`) a check raised, itself or as the member of an
    exception group (a Hypothesis check that found several failures), if any."""
    if isinstance(error, kind):
        return error
    if isinstance(error, BaseExceptionGroup):
        found = [_raised(member, kind) for member in error.exceptions]
        return next((f for f in found if f is not None), None)
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(  # noqa: C901 - pytest's one hook for every outcome
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    nodeid = item.nodeid
    if report.failed and nodeid not in _state.failure and call.excinfo is not None:
        message, example = _describe(call.excinfo)
        # A check (or a fixture it uses, during setup) that establishes another clause first.
        undecided = _raised(call.excinfo.value, NotDecided) if report.when != "teardown" else None
        breaks = _raised(call.excinfo.value, Breaks) if report.when == "call" else None
        if report.when != "call" and undecided is None:
            message = f"(during {report.when}) {message}"
        _state.failure[nodeid] = {
            "message": message,
            "example": example,
            "where": _where(call.excinfo.tb),
        }
        if undecided is not None:
            _state.failure[nodeid].update(undecided=list(undecided.clauses), where="")
        elif breaks is not None:
            _state.failure[nodeid].update(breaks=list(breaks.clauses))
    elif report.skipped and call.excinfo is not None:
        _state.skipped[nodeid] = str(call.excinfo.value)[:MESSAGE_LIMIT]
    if report.when != "teardown":
        return
    record: dict[str, Any] = {"event": "result", "id": nodeid, "outcome": "passed"}
    record.update({"message": "", "example": "", "where": ""})
    if nodeid in _state.failure:
        failure = _state.failure.pop(nodeid)
        causes = failure.pop("undecided", None)
        broken = failure.pop("breaks", None)
        record.update(failure, outcome="failed" if causes is None else "undecided")
        if causes is not None or broken is not None:
            record["clauses"] = causes if causes is not None else broken
    if nodeid in _state.hung_in:
        name, why = _state.hung_in.pop(nodeid)
        record.update(outcome="hung", hung=name, message=f"not decided: {why}", example="")
    elif nodeid in _state.skipped:
        record.update(outcome="skipped", message=_state.skipped.pop(nodeid))
    record["output"] = _state.output.pop(nodeid, _CappedText(0)).value()
    _emit(record)


def pytest_sessionfinish(session: pytest.Session) -> None:
    alive = [
        t.name
        for t in threading.enumerate()
        if t is not threading.main_thread() and not t.daemon and t.is_alive()
    ]
    _emit({"event": "done", "threads": alive})
