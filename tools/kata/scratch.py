"""Temporary folders that are always cleaned up: by their owner, or by the next grade.

Each folder is named ``kata-<what>-*`` in the system's temporary folder and holds a marker with
its owner's PID and that process's start time. The owner removes it when done (also on Ctrl-C,
SIGTERM and SIGHUP, which the command line turns into KeyboardInterrupt); a folder whose owner
was killed outright (``kill -9``) is removed by `sweep`, which the next grade runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

MARK = ".kata-owner"


def _started(pid: int) -> str:
    """The start time of process `pid` in clock ticks since boot ("" if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def make(what: str) -> Path:
    """A new folder ``kata-<what>-*`` marked as this process's."""
    folder = Path(tempfile.mkdtemp(prefix=f"kata-{what}-"))
    (folder / MARK).write_text(f"{os.getpid()} {_started(os.getpid())}\n", encoding="ascii")
    return folder


@contextlib.contextmanager
def folder(what: str) -> Iterator[Path]:
    """A marked folder that is removed when the block ends, however it ends."""
    path = make(what)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _working_in(folders: list[Path]) -> list[int]:
    """The processes whose current folder lies in one of `folders` (Linux ``/proc``)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if any(cwd == f or f in cwd.parents for f in folders):
            found.append(int(entry.name))
    return found


def sweep(base: Path | None = None) -> int:
    """Remove the marked folders whose owner has ended, first killing any process still
    working in one (a grading process orphaned by ``kill -9``); returns how many folders.
    O(folders + processes)."""
    stale = []
    for path in Path(base or tempfile.gettempdir()).glob("kata-*"):
        try:
            pid_text, _, started = (path / MARK).read_text(encoding="ascii").strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            continue
        if not started or _started(pid) != started:
            stale.append(path.resolve())
    for pid in _working_in(stale) if stale else []:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)
