"""The learner's workspace ``work/<id>/`` (git-ignored) and the one state file that owns it.

The workspace holds copies of the stub, the starter tests and the statement, and
``.kata-state.json``: how it was started (plain, timed or interview), its clock, the interview
attempt, the last grade and the hints shown. Every read-modify-write of that state happens under
an exclusive lock on ``work/.<id>.lock`` (beside the folder, so it survives the folder being moved
to a backup), and every write is atomic (a temporary file renamed over the old one). A state file
that does not hold what this module writes is refused with one message, never half-read.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kata.catalog import Kata
from kata.errors import (
    ClockWentBackwardsError,
    KataError,
    NoWorkspaceError,
    WorkspaceExistsError,
    WorkspaceStateError,
)
from kata.model import Attempt, GradeRecord, parse_time

Now = Callable[[], datetime]
STATE_FILE = ".kata-state.json"
MODES = ("plain", "timed", "interview")
STATE_VERSION = 2


def utc_now() -> datetime:
    """The wall clock, in UTC: the default `Now`."""
    return datetime.now(UTC)


@dataclass
class State:
    """What the runner knows of a workspace; only `Workspace.save` writes it."""

    mode: str
    started_at: datetime
    last_seen: datetime
    """The latest clock reading a command recorded; a clock earlier than this is refused."""
    attempt: Attempt | None = None
    appended: int = 0
    """How many level sections of an interview the workspace's README holds."""
    last_grade: GradeRecord | None = None
    hints_shown: list[str] = field(default_factory=list)
    """Ids of the planted bugs whose description a hint has shown, in order."""

    @property
    def timed(self) -> bool:
        return self.mode != "plain"

    def as_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "mode": self.mode,
            "started_at": self.started_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "attempt": self.attempt.as_json() if self.attempt else None,
            "appended": self.appended,
            "last_grade": self.last_grade.as_json() if self.last_grade else None,
            "hints_shown": self.hints_shown,
        }

    @classmethod
    def from_json(cls, data: object, levels: int) -> State:
        """The state in `data`; raises ValueError, TypeError or KeyError when it is not one
        this module wrote for a kata of `levels` levels."""
        if not isinstance(data, dict):
            raise TypeError(f"it holds {type(data).__name__}, not an object")
        if data.get("version") != STATE_VERSION or data.get("mode") not in MODES:
            raise ValueError(f"version {data.get('version')!r}, mode {data.get('mode')!r}")
        attempt, grade = data.get("attempt"), data.get("last_grade")
        state = cls(
            mode=data["mode"],
            started_at=parse_time(data["started_at"], "started_at"),
            last_seen=parse_time(data["last_seen"], "last_seen"),
            attempt=Attempt.from_json(attempt) if attempt is not None else None,
            appended=data.get("appended", 0),
            last_grade=GradeRecord.from_json(grade) if grade is not None else None,
            hints_shown=list(data.get("hints_shown", [])),
        )
        if state.last_seen < state.started_at:
            raise ValueError("last_seen is earlier than started_at")
        if not all(isinstance(bug, str) for bug in state.hints_shown):
            raise TypeError("hints_shown must be a list of bug ids")
        if (state.mode == "interview") != (state.attempt is not None):
            raise ValueError("an interview has an attempt, and only an interview")
        if state.attempt is not None:
            if len(state.attempt.levels) != levels:
                raise ValueError(f"{len(state.attempt.levels)} levels, the kata has {levels}")
            if type(state.appended) is not int or not 1 <= state.appended <= levels:
                raise ValueError(f"appended must be 1..{levels}, not {state.appended!r}")
        return state

    def read_clock(self, now: Now, kata: str) -> datetime:
        """The clock's reading; refuses one earlier than a time this state recorded."""
        moment = now()
        if moment < self.last_seen:
            raise ClockWentBackwardsError(
                f"the clock reads {moment:%Y-%m-%d %H:%M:%S}, earlier than "
                f"{self.last_seen:%Y-%m-%d %H:%M:%S} when this workspace of {kata} last "
                "recorded a time, so its minutes cannot be counted. Set the clock right and run "
                "the command again; nothing was changed"
            )
        return moment

    def minutes_at(self, moment: datetime) -> float:
        """Minutes of the workspace's clock at `moment` (an ended attempt's stop at its end)."""
        if self.attempt is not None and self.attempt.minutes is not None:
            return self.attempt.minutes
        return (moment - self.started_at).total_seconds() / 60


@dataclass(frozen=True)
class Workspace:
    """``work/<id>/`` of one kata: its files, its lock and its state."""

    kata: Kata

    @property
    def folder(self) -> Path:
        return self.kata.root / "work" / self.kata.id

    @property
    def solution(self) -> Path:
        return self.folder / "solution.py"

    @property
    def tests(self) -> Path:
        return self.folder / "test_solution.py"

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the workspace's exclusive lock (waits for another command that holds it)."""
        lock = self.folder.parent / f".{self.kata.id}.lock"
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            handle = lock.open("a")
        except OSError as error:
            raise KataError(f"cannot lock the workspace ({lock}): {error.strerror}") from error
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def existing(self) -> Path:
        """The folder; raises NoWorkspaceError when there is none."""
        if not self.folder.is_dir():
            raise NoWorkspaceError(
                f"no workspace for {self.kata.id}: {_shown(self.folder)} does not exist. Start one "
                f"with `kata start {self.kata.id} --interview` (or without --interview)"
            )
        return self.folder

    def load(self) -> State | None:
        """The workspace's state (None when it has no state file); call it under `locked`.
        Raises NoWorkspaceError, or WorkspaceStateError naming the file and what is wrong in it."""
        self.existing()
        if not self.state_path.exists():
            return None
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            return State.from_json(data, len(self.kata.levels))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise WorkspaceStateError(
                f"the workspace's state file {_shown(self.state_path)} cannot be used "
                f"({type(error).__name__}: {error}); nothing was changed. Put back the file as "
                f"it was, or start again with `kata start {self.kata.id} --force` (your work is "
                "moved to a backup first)"
            ) from error

    def save(self, state: State) -> None:
        """Write `state` atomically; call it under `locked`. Raises WorkspaceStateError."""
        write_atomically(self.state_path, json.dumps(state.as_json(), indent=2) + "\n")

    def make(self, files: dict[str, Path], readme: str | None, now: Now) -> Path | None:
        """Create the folder with `files` (name -> source) and `readme`, first moving an
        existing folder to a backup with a name of its own; call it under `locked`. Returns
        the backup or None. If anything fails, the old folder is back where it was."""
        backup = _unused(self.folder, now) if self.folder.exists() else None
        try:
            if backup is not None:
                self.folder.rename(backup)
            self.folder.mkdir(parents=True)
            for name, source in files.items():
                if source.is_file():
                    shutil.copyfile(source, self.folder / name)
            if readme is not None:
                (self.folder / "README.md").write_text(readme, encoding="utf-8")
        except OSError as error:
            if backup is not None and backup.exists():
                shutil.rmtree(self.folder, ignore_errors=True)
                with contextlib.suppress(OSError):
                    backup.rename(self.folder)
            raise KataError(
                f"cannot start {self.kata.id} in {_shown(self.folder)} ({error.strerror}); "
                "nothing was changed"
            ) from error
        return backup

    def refuse_existing(self) -> None:
        if self.folder.exists():
            raise WorkspaceExistsError(
                f"{_shown(self.folder)} already exists; your work there is kept. Grade it with "
                f"`kata grade {self.kata.id}`, or start afresh with `kata start {self.kata.id} "
                "--force` (the old folder is moved to a backup, not deleted)"
            )

    def contains(self, path: Path) -> bool:
        """Whether `path` is the workspace folder or anything inside it."""
        folder = self.folder.resolve()
        target = path.resolve()
        return target == folder or folder in target.parents


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` through a temporary file beside it; raises WorkspaceStateError."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise WorkspaceStateError(f"cannot save {_shown(path)}: {error.strerror}") from error


def _unused(folder: Path, now: Now) -> Path:
    """``work/<id>.backup-<timestamp>``, with ``-2``, ``-3``, ... if that name is taken."""
    base = f"{folder.name}.backup-{now():%Y%m%d-%H%M%S}"
    candidate, number = folder.with_name(base), 1
    while candidate.exists():
        number += 1
        candidate = folder.with_name(f"{base}-{number}")
    return candidate


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is inside it."""
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd()))
    return str(path)
