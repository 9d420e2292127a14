"""Launching code we do not trust: its own process group, resource limits, capped output.

Nothing here decides a verdict; it only runs a command and tells how the process ended.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


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
    """How much of the process's stdout/stderr is kept (the tail); the rest is counted, not stored."""
    exit_grace_seconds: float = 3.0
    """How long the process may take to exit once its checks are done."""


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


class Stopped(Exception):
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


def allow_starts() -> None:
    """Undo `stop_all`: processes may be started again (a new grade begins)."""
    _stopping.clear()


class Process:
    """A command running in its own session under `limits`, its output drained into a capped tail."""

    def __init__(
        self, argv: Sequence[str], cwd: Path, limits: Limits, env: Mapping[str, str] | None = None
    ):
        if _stopping.is_set():
            raise Stopped("grading was stopped")
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

        self._popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else child_env(),
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

    def _drain(self) -> None:
        stream = self._popen.stdout
        assert stream is not None
        keep = self.limits.output_bytes
        while chunk := os.read(stream.fileno(), 65536):
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
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

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
        """Kill the whole process group (the process and anything it started) and reap it."""
        if self._popen.poll() is None:
            self.killed_by_us = True
            self._sample_memory()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        self._popen.wait()
        self._drainer.join(timeout=5)
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
