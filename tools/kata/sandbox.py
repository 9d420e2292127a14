"""Launching code we do not trust: its own process group, resource limits, capped output.

Nothing here decides a verdict; it only runs a command and tells how the process ended.

A process the code under test starts may leave the grading process group (a new session, a
double fork). Each grading process is therefore marked with an environment variable holding a
token of its own (`RUN_MARK`), which every process it starts inherits unless it is given an
environment of its own making; when the run ends, `Process.kill` kills its group, every
descendant still found through ``/proc`` (parent links, read before the group is killed), and
every process whose ``/proc/PID/environ`` carries the token. This is the standard library and
``/proc`` only: ``psutil`` would give the same on Linux and is not a dependency of the project;
elsewhere only the group is killed. The output pipe is read by a thread that stops shortly after
the process has ended, so a stray process that keeps the pipe open never holds up the grader.

A ``python -m pytest`` run is forked from a server that imported pytest, Hypothesis, numpy and
the plugin once (`kata.forkserver`), which saves those imports (about 0.8 s of CPU) per run; the
forked process gets its own session, limits, folder, environment and module state, as a new
interpreter would. ``KATA_FORK_SERVER=0`` turns it off; where the server cannot start, runs
start as new interpreters.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kata import scratch


@dataclass(frozen=True)
class Limits:
    """Limits on one grading run. See the README's table for the defaults and flags."""

    check_seconds: float = 10.0
    """Wall time one check may take before its process is killed."""
    run_seconds: float = 120.0
    """Wall time the whole grading run may take."""
    memory_mb: int = 2048
    """Address-space limit of the grading process (RLIMIT_AS)."""
    output_bytes: int = 64 * 1024
    """How much of the process's stdout/stderr is kept (the tail); the rest is counted, not
    stored."""
    exit_grace_seconds: float = 3.0
    """How long the process may take to exit once its checks are done."""


DEFAULT_LIMITS = Limits()
"""The limits of a run when none are given (the quick profile's, see `kata.grade`)."""


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a grading process: ours, made deterministic and single-threaded."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS_"))}
    env.update(
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        NO_COLOR="1",
    )
    env.pop("PYTHONPATH", None)
    if extra:
        env.update(extra)
    return env


RUN_MARK = "KATA_SANDBOX_RUN"
"""Environment variable holding the token of the grading process a process descends from."""
DRAIN_GRACE_SECONDS = 0.3
"""After the process ended, how long its output is still read (a stray process may hold the
pipe open for ever)."""


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process in /proc (empty where there is no /proc)."""
    parents: dict[int, int] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(entry.path, "stat").read_text(encoding="ascii", errors="replace")
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every living process `pid` started, directly or not, still linked to it. O(processes)."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def marked(token: str) -> list[int]:
    """Every living process whose environment carries ``RUN_MARK=token``. O(processes)."""
    needle = f"{RUN_MARK}={token}".encode()
    found = []
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                environ = Path(entry.path, "environ").read_bytes()
                if needle in environ.split(b"\0"):
                    found.append(int(entry.name))
    return found


def _kill_everywhere(pids: list[int]) -> None:
    """SIGKILL each of `pids` and the process group it leads or belongs to (never ours)."""
    ours = os.getpgrp()
    for pid in pids:
        with contextlib.suppress(OSError):
            group = os.getpgid(pid)
            if group != ours:
                os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


FORK_SERVER_ENV = "KATA_FORK_SERVER"
"""Set to ``0`` to start every grading process as a new interpreter instead of forking it from
the pre-imported server (`kata.forkserver`)."""


class _Forked:
    """A grading process forked by the fork server, with the part of `subprocess.Popen`'s
    interface that `Process` uses (pid, poll, wait, stdout). Its exit status comes from the
    server, which is its parent."""

    def __init__(self, conn: socket.socket, pid: int, stdout: Any) -> None:
        self._conn = conn
        self.pid = pid
        self.stdout = stdout
        self.returncode: int | None = None
        self._orphaned = False
        self._buffer = b""
        self._lock = threading.Lock()

    def _read(self, timeout: float | None) -> None:
        with self._lock:
            if self.returncode is not None:
                return
            ready, _, _ = select.select([self._conn], [], [], timeout)
            if not ready:
                return
            chunk = self._conn.recv(4096)
            self._buffer += chunk
            if b"\n" in self._buffer or not chunk:
                line = self._buffer.split(b"\n", 1)[0]
                try:
                    self.returncode = int(json.loads(line)["exit"])
                except (ValueError, KeyError, TypeError):
                    self._orphaned = True  # the server went away: follow the run itself
                self._conn.close()

    def _follow_orphan(self, timeout: float | None) -> None:
        """The server died (a test may kill its parent): the run goes on, adopted by init.
        Its verdicts come from its records; it counts as exited 0 once it is gone."""
        until = time.monotonic() + (1.0 if timeout is None else timeout)
        while True:
            try:
                state = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii")
                alive = state[state.rfind(")") + 2 :][:1] not in ("Z", "X")
            except OSError:
                alive = False
            if not alive:
                self.returncode = 0
                return
            if time.monotonic() >= until:
                return
            time.sleep(0.02)

    def poll(self) -> int | None:
        if self._orphaned:
            self._follow_orphan(0)
        else:
            # An ended run is a zombie until the server reaps it and writes its exit code:
            # wait for that word rather than count the gap against the run's time.
            self._read(1.0 if self._ended() else 0)
        return self.returncode

    def _ended(self) -> bool:
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return True
        return stat[stat.rfind(")") + 2 :][:1] in ("Z", "X")

    def wait(self, timeout: float | None = None) -> int:
        until = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            left = None if until is None else until - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("forked grading process", timeout or 0)
            if self._orphaned:
                self._follow_orphan(left)
            else:
                self._read(left if left is not None else 1.0)
        return self.returncode


def _startup(env: Mapping[str, str]) -> dict[str, str]:
    """The variables that take effect when an interpreter starts or imports numpy: a forked
    run must have the same as its server. The others are set in the run itself."""
    return {k: v for k, v in env.items() if k.startswith(("PYTHON", "OPENBLAS_", "OMP_", "MKL_"))}


class _ForkServer:
    """The fork server this program started (one, on first use), and how to ask it for a run."""

    _lock = threading.Lock()
    _server: _ForkServer | None = None
    _failed = False
    deaths = 0
    """How often a server was found killed (a learner's test may kill its parent process)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)
        # An abstract socket (Linux): no file to clean up, whatever ends the grader.
        self.folder = None if sys.platform.startswith("linux") else scratch.make("forkserver")
        self.socket = (
            f"\0kata-forkserver-{uuid.uuid4().hex}"
            if self.folder is None
            else str(self.folder / "s")
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kata.forkserver", self.socket.replace("\0", "@", 1)],
            cwd=self.folder or tempfile.gettempdir(),
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        if not ready or self.proc.stdout.readline().strip() != b"ready":
            self.close()
            raise OSError("the fork server did not start")
        atexit.register(self.close)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(2)
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, subprocess.TimeoutExpired):
            self.proc.wait(1)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    @classmethod
    def get(cls, env: Mapping[str, str]) -> _ForkServer | None:
        """The server for processes with environment `env` (started now if need be), or None
        (turned off, not POSIX, it would not start, or it started with other settings)."""
        if os.environ.get(FORK_SERVER_ENV) == "0" or not hasattr(os, "fork"):
            return None
        with cls._lock:
            if cls._server is not None and cls._server.proc.poll() is not None:
                # Killed (a learner's test may kill its parent): the next run gets a new one, so
                # no run's parent is ever the grader itself.
                cls._server.close()
                cls._server = None
                cls.deaths += 1
            if cls._server is None and not cls._failed:
                try:
                    cls._server = _ForkServer(env)
                except (OSError, ValueError):
                    cls._failed = True
            server = cls._server
        if server is None or _startup(server.env) != _startup(env):
            return None
        return server

    def start(
        self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], limits: Limits
    ) -> _Forked:
        """Fork a run of ``argv`` (``python -m pytest ...``); raises OSError if the server fails."""
        read, write = os.pipe()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.socket)
            request = {
                "argv": list(argv),
                "cwd": str(cwd),
                "env": dict(env),
                "memory_mb": limits.memory_mb,
            }
            socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [write])
            os.close(write)
            write = -1
            conn.settimeout(30)
            answer = b""
            while not answer.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    raise OSError("the fork server did not start the run")
                answer += chunk
            pid = int(json.loads(answer)["pid"])
        except (OSError, ValueError, KeyError) as error:
            conn.close()
            os.close(read)
            if write >= 0:
                os.close(write)
            raise OSError(str(error)) from error
        conn.settimeout(None)
        return _Forked(conn, pid, os.fdopen(read, "rb", buffering=0))


def fork_server_deaths() -> int:
    """How often this program's fork server was killed so far (a learner's test that kills its
    parent process kills it): the runs in flight go on, and the next run gets a new server."""
    server = _ForkServer._server
    return _ForkServer.deaths + (server is not None and server.proc.poll() is not None)


class StoppedError(Exception):
    """Grading was stopped (Ctrl-C): no new process is started."""


_live: set[Process] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def stop_all() -> None:
    """Kill every grading process this program started and start no more (after Ctrl-C, so
    that runs going on in other threads end at once)."""
    _stopping.set()
    with _live_lock:
        live = list(_live)
    for proc in live:
        proc.kill()


def stopping() -> bool:
    """Whether `stop_all` was called and no new grade has begun since (what ran meanwhile may
    have been cut short)."""
    return _stopping.is_set()


def allow_starts() -> None:
    """Undo `stop_all`: processes may be started again (a new grade begins)."""
    _stopping.clear()


class Process:
    """A command running in its own session under `limits`, its output drained into a capped
    tail."""

    def __init__(
        self, argv: Sequence[str], cwd: Path, limits: Limits, env: Mapping[str, str] | None = None
    ):
        if _stopping.is_set():
            raise StoppedError("grading was stopped")
        self.limits = limits
        self.killed_by_us = False
        self._tail = bytearray()
        self.output_total = 0
        self.peak_memory_bytes = 0
        """The largest address-space size seen for the process so far (Linux; 0 elsewhere)."""

        def set_limits() -> None:  # runs in the child, before exec
            memory = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        self.token = uuid.uuid4().hex
        environment = dict(env) if env is not None else child_env()
        environment[RUN_MARK] = self.token
        self._exited = threading.Event()
        self._popen: subprocess.Popen[bytes] | _Forked = self._forked(
            argv, cwd, environment, limits
        ) or subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=set_limits if sys.platform != "win32" else None,  # noqa: PLW1509
        )
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        with _live_lock:
            _live.add(self)

    @staticmethod
    def _forked(
        argv: Sequence[str], cwd: Path, env: Mapping[str, str], limits: Limits
    ) -> _Forked | None:
        """A run of ``python -m pytest`` forked by the fork server, when there is one for this
        environment (the run's mark aside); None: start a new interpreter."""
        if list(argv[:3]) != [sys.executable, "-m", "pytest"]:
            return None
        server = _ForkServer.get({k: v for k, v in env.items() if k != RUN_MARK})
        if server is None:
            return None
        try:
            return server.start(argv, cwd, env, limits)
        except OSError:
            return None

    def _drain(self) -> None:
        """Read the output into the capped tail until end of file, or for DRAIN_GRACE_SECONDS
        after the process was seen to end (`_exited`): a stray process may hold the pipe."""
        stream = self._popen.stdout
        assert stream is not None
        fd = stream.fileno()
        keep = self.limits.output_bytes
        until: float | None = None
        while True:
            if until is None and self._exited.is_set():
                until = time.monotonic() + DRAIN_GRACE_SECONDS
            if until is not None and time.monotonic() >= until:
                return
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            self.output_total += len(chunk)
            self._tail += chunk
            if len(self._tail) > 2 * keep:
                del self._tail[: len(self._tail) - keep]

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if the process is still running after `timeout` seconds."""
        self._sample_memory()
        try:
            code = self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._exited.set()
        return code

    def send(self, sig: int) -> bool:
        """Send `sig` to the process itself (not its group); False if it has already ended."""
        if self._popen.poll() is not None:
            return False
        try:
            os.kill(self._popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def kill(self) -> None:
        """Kill the process, its group and everything it started, even what left the group
        (see the module's docstring), and reap it. Returns once the output reader has stopped,
        at most DRAIN_GRACE_SECONDS plus a scan of /proc after the process has ended."""
        tree: list[int] = []
        if self._popen.poll() is None:
            self.killed_by_us = True
            self._sample_memory()
            with contextlib.suppress(OSError):
                os.killpg(self._popen.pid, signal.SIGSTOP)  # nothing new starts while we look
            tree = descendants(self._popen.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        self._popen.wait()
        self._exited.set()
        for _ in range(3):  # a stray process may fork while it is being looked for
            strays = [*tree, *marked(self.token)]
            if not strays:
                break
            _kill_everywhere(strays)
            tree = []
        self._drainer.join()
        with _live_lock:
            _live.discard(self)

    def _sample_memory(self) -> None:
        """Note the process's peak address-space size (VmPeak) while it can still be read."""
        if self._popen.returncode is not None:
            return  # reaped: its pid may belong to another process by now
        with contextlib.suppress(OSError, ValueError):
            status = Path(f"/proc/{self._popen.pid}/status").read_text(encoding="ascii")
            for line in status.splitlines():
                if line.startswith("VmPeak:"):
                    peak = int(line.split()[1]) * 1024
                    self.peak_memory_bytes = max(self.peak_memory_bytes, peak)

    def hit_memory_limit(self) -> bool:
        """Whether the process's address space ever came within 10% of the memory limit, which
        is where allocations start to fail (sampled each `wait` and before a `kill`)."""
        return self.peak_memory_bytes >= 0.9 * self.limits.memory_mb * 1024 * 1024

    def output_tail(self) -> str:
        """The last `output_bytes` of what the process printed, decoded leniently."""
        if self._popen.poll() is not None:
            self._exited.set()
        self._drainer.join(timeout=5)
        text = bytes(self._tail[-self.limits.output_bytes :]).decode("utf-8", "replace")
        if self.output_total > self.limits.output_bytes:
            text = (
                f"[... {self.output_total - self.limits.output_bytes} earlier bytes not kept]\n"
                + text
            )
        return text

    def describe_exit(self) -> str:
        """How the process ended, in words: killed by us, a signal, or an exit code."""
        code = self._popen.poll()
        if code is None:
            return "is still running"
        if self.killed_by_us:
            return "was stopped by the grader"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = {
                "SIGSEGV": " (a segmentation fault)",
                "SIGKILL": " (killed, perhaps for using too much memory)",
                "SIGABRT": " (aborted)",
                "SIGXFSZ": " (wrote too large a file)",
            }.get(name, "")
            return f"crashed with {name}{hint}"
        return f"exited with code {code}"
