"""A process that has imported pytest, Hypothesis, numpy and the grader's plugin once, and forks
a grading process from itself for each run, so a run does not pay those imports again.

Protocol (one Unix-socket connection per run): the client sends one JSON line ``{"argv": [...],
"cwd": str, "env": {...}, "memory_mb": int}`` with the write end of the run's output pipe as
ancillary data; the server forks and answers ``{"pid": N}``, and later ``{"exit": CODE}`` (the
exit code as `subprocess` gives it: negative for a signal) once it has reaped the child. The
child starts a session of its own, sets its limits, changes folder, replaces its environment,
points fds 0-2 at /dev/null and the pipe, and runs pytest with the argv after ``-m pytest``; it
then exits the way ``python -m pytest`` does (waiting for non-daemon threads, running exit
handlers, flushing its output) but without tearing down the modules the server imported, which
would cost about 0.1 s a run. It never imported the solution or a test module, so each run
starts from clean module state, as a new interpreter would.

The server reads its stdin and exits, killing the groups of the children it still has, when that
closes: it never outlives the grader. Run as ``python -m kata.forkserver SOCKET`` (``@name``:
the abstract Unix socket ``name``, Linux).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import inspect
import json
import os
import resource
import selectors
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

PRELOADED = ("pytest", "hypothesis", "_hypothesis_pytestplugin", "kata.pytest_plugin", "numpy")
"""What the server imports once for every run it forks."""


def _preload() -> None:
    """Import PRELOADED and map their files to their modules as `inspect` does the first time a
    traceback is shown (about 15 ms, which every run with a failing test would pay again); then
    keep what they made out of the garbage collector's reach: a run's collections then neither
    walk those objects nor copy the memory pages they are on."""
    for name in PRELOADED:
        with contextlib.suppress(ImportError):
            __import__(name)
    inspect.getmodule(_preload.__code__)
    gc.freeze()


def _exit(code: int) -> None:
    """End a forked run as the interpreter's own exit would, up to the module teardown it
    skips: wait for the non-daemon threads, run the exit handlers, flush the output."""
    threading._shutdown()  # type: ignore[attr-defined]  # what the interpreter's exit calls first
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _become_run(request: dict[str, Any], out: int) -> list[str]:
    """In the forked child: its own session, limits, folder, environment and output; returns
    pytest's arguments."""
    os.setsid()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    memory = int(request["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    for fd in (null, out):
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    argv = [str(a) for a in request["argv"]]
    args = argv[argv.index("pytest") + 1 :]
    sys.argv = ["pytest", *args]
    sys.path[0] = str(Path.cwd())
    with contextlib.suppress(ImportError):  # its default was the server's folder, at import
        from hypothesis.configuration import set_hypothesis_home_dir  # noqa: PLC0415 - optional

        set_hypothesis_home_dir(Path.cwd() / ".hypothesis")
    return args


def _serve(path: str) -> list[str] | None:
    """Serve runs until stdin closes (returns None) or, in a forked child, return pytest's
    arguments for the child to run."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + path[1:] if path.startswith("@") else path)  # @: an abstract socket
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "stdin")
    children: dict[int, socket.socket] = {}
    print("ready", flush=True)
    while True:
        for key, _ in selector.select(timeout=0.01):
            if key.data == "stdin" and not os.read(sys.stdin.fileno(), 4096):
                for pid in children:
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)
                return None
            if key.data == "accept":
                conn, _ = listener.accept()
                child = _start(conn, listener, selector)
                if child is None:
                    for other in children.values():
                        other.close()
                    return _become_run(*_pending[0])
                if child > 0:
                    children[child] = conn
        _reap(children)


_pending: list[tuple[dict[str, Any], int]] = [({}, -1)]
"""In a forked child: its request and output fd (one slot, replaced, never a global rebind)."""


def _start(conn: socket.socket, listener: socket.socket, selector: Any) -> int | None:
    """Read one request from `conn` and fork its run: the child's pid in the server (-1 when the
    request was unreadable), None in the child (with `_pending` set)."""
    try:
        conn.settimeout(5)
        data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 1)
        while not data.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                break
            data += more
        request = json.loads(data)
    except (OSError, ValueError):
        conn.close()
        return -1
    if not fds:
        conn.close()
        return -1
    pid = os.fork()
    if pid == 0:
        selector.close()
        listener.close()
        conn.close()
        _pending[0] = (request, fds[0])
        return None
    os.close(fds[0])
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    return pid


def _reap(children: dict[int, socket.socket]) -> None:
    """Tell each client whose child has ended how it ended."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(
                    json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n"
                )
            conn.close()


def main() -> None:
    _preload()
    args = _serve(sys.argv[1])
    if args is None:
        return
    import pytest  # noqa: PLC0415 - preloaded above; imported here only in a forked run

    _exit(int(pytest.main(args)))


if __name__ == "__main__":
    main()
