"""The data a grade, an interview and the history share; no behaviour beyond reading it.

Every type here is written to and read from JSON (the workspace's state file) or SQLite (the
history). `from_json` is strict: a value of the wrong type or out of range raises `ValueError`
or `TypeError`, which the caller turns into one message naming the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

BUGS = "planted bugs"
"""The `LevelScore.kind` of the learner's tests' catch of a level's planted bugs."""


def _int(value: object, name: str, low: int = 0) -> int:
    if type(value) is not int or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, not {value!r}")
    return value


def _minute(value: object, name: str) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number of minutes, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a number of minutes >= 0, not {value!r}")
    return float(value)


def _str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be text, not {value!r}")
    return value


def parse_time(value: object, name: str) -> datetime:
    """An ISO timestamp with a time zone; raises ValueError otherwise."""
    moment = datetime.fromisoformat(_str(value, name))
    if moment.tzinfo is None:
        raise ValueError(f"{name} has no time zone: {value!r}")
    return moment


@dataclass(frozen=True)
class LevelScore:
    """Passed of total at one level for one kind (correctness, performance, planted bugs)."""

    level: int
    kind: str
    passed: int
    total: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LevelScore:
        passed, total = _int(data["passed"], "passed"), _int(data["total"], "total")
        if passed > total:
            raise ValueError(f"a score of {passed} of {total}")
        return cls(_int(data["level"], "level"), _str(data["kind"], "kind"), passed, total)


@dataclass(frozen=True)
class MissedBug:
    """A planted bug the learner's tests did not catch: what a hint reveals."""

    id: str
    level: int
    clause: str
    description: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MissedBug:
        return cls(
            _str(data["id"], "id"),
            _int(data["level"], "level", 1),
            _str(data["clause"], "clause"),
            _str(data["description"], "description"),
        )


@dataclass
class GradeRecord:
    """What the history keeps of one grade."""

    kata: str
    graded_at: datetime
    solution: str
    solution_sha256: str
    """The SHA-256 of the bytes that were graded (the snapshot taken at the grade's start)."""
    seed: int
    profile: str
    level: int | None
    """``--level N`` as given (or the interview's unlocked level); None graded every level."""
    levels_graded: int
    status: str
    passed: int
    total: int
    scores: list[LevelScore] = field(default_factory=list)
    bugs_caught: int | None = None
    bugs_total: int | None = None
    tests_set_aside: list[str] = field(default_factory=list)
    ruff_findings: int | None = None
    mypy_findings: int | None = None
    duration_s: float = 0.0
    elapsed_minutes: float | None = None
    attempt_uid: str | None = None
    error: str = ""
    id: int | None = None
    own_work: bool = True
    """A grade of the learner's workspace; False for `--reference` and files elsewhere, which
    never count as the learner's best or trend."""
    missed: list[MissedBug] = field(default_factory=list)
    hints: int = 0
    """Hints this grade showed (`--hints` shows every missed bug's description)."""

    @property
    def percent(self) -> int:
        return round(100 * self.passed / self.total) if self.total else 0

    def level_score(
        self, level: int, kinds: Sequence[str] = ("correctness", "performance")
    ) -> tuple[int, int] | None:
        """(passed, total) at `level` over `kinds`, or None when nothing of those kinds ran."""
        mine = [s for s in self.scores if s.level == level and s.kind in kinds]
        if not mine:
            return None
        return sum(s.passed for s in mine), sum(s.total for s in mine)

    def passed_levels_up_to(self, level: int) -> bool:
        """Whether every correctness check of levels 1..`level` ran and passed."""
        if self.error:
            return False
        for number in range(1, level + 1):
            score = self.level_score(number, ("correctness",))
            if score is None or score[0] != score[1]:
                return False
        return True

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["graded_at"] = self.graded_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GradeRecord:
        fields = dict(data)
        fields["graded_at"] = parse_time(fields["graded_at"], "graded_at")
        fields["scores"] = [LevelScore.from_json(s) for s in fields.get("scores", [])]
        fields["missed"] = [MissedBug.from_json(m) for m in fields.get("missed", [])]
        record = cls(**fields)
        for name in ("passed", "total", "levels_graded", "hints"):
            _int(getattr(record, name), name)
        return record


@dataclass
class LevelTimes:
    """When, in minutes since the start of an interview, a level was unlocked and passed."""

    level: int
    name: str
    unlocked_minute: float | None = None
    passed_minute: float | None = None
    hints: int = 0
    """Hints taken about this level's planted bugs."""

    @property
    def minutes_taken(self) -> float | None:
        if self.unlocked_minute is None or self.passed_minute is None:
            return None
        return self.passed_minute - self.unlocked_minute

    @classmethod
    def from_json(cls, data: Mapping[str, Any], number: int) -> LevelTimes:
        times = cls(
            level=_int(data["level"], "level", 1),
            name=_str(data["name"], "name"),
            unlocked_minute=_minute(data.get("unlocked_minute"), "unlocked_minute"),
            passed_minute=_minute(data.get("passed_minute"), "passed_minute"),
            hints=_int(data.get("hints", 0), "hints"),
        )
        if times.level != number:
            raise ValueError(f"level {times.level} stands where level {number} belongs")
        if times.passed_minute is not None and (
            times.unlocked_minute is None or times.passed_minute < times.unlocked_minute
        ):
            raise ValueError(f"level {number} was passed before it was unlocked")
        return times


@dataclass
class Attempt:
    """One interview attempt at a kata."""

    uid: str
    kata: str
    started_at: datetime
    budget_minutes: int
    levels: list[LevelTimes]
    finished_at: datetime | None = None
    finish_reason: str = ""
    """``passed`` (the last level passed), ``finished`` (`kata finish`) or ``abandoned``;
    empty while running."""
    minutes: float | None = None
    """Minutes from start to finish; None while running."""

    @property
    def unlocked(self) -> int:
        return sum(t.unlocked_minute is not None for t in self.levels)

    @property
    def passed(self) -> int:
        return sum(t.passed_minute is not None for t in self.levels)

    @property
    def hints(self) -> int:
        return sum(t.hints for t in self.levels)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def over_budget(self) -> float:
        return max(0.0, (self.minutes or 0.0) - self.budget_minutes)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attempt:
        finished = data.get("finished_at")
        levels = data["levels"]
        if not isinstance(levels, list) or not levels:
            raise ValueError("an attempt needs at least one level")
        attempt = cls(
            uid=_str(data["uid"], "uid"),
            kata=_str(data["kata"], "kata"),
            started_at=parse_time(data["started_at"], "started_at"),
            budget_minutes=_int(data["budget_minutes"], "budget_minutes", 1),
            levels=[LevelTimes.from_json(t, n) for n, t in enumerate(levels, 1)],
            finished_at=parse_time(finished, "finished_at") if finished is not None else None,
            finish_reason=_str(data.get("finish_reason", ""), "finish_reason"),
            minutes=_minute(data.get("minutes"), "minutes"),
        )
        unlocked = [t.unlocked_minute is not None for t in attempt.levels]
        if not unlocked[0] or unlocked != sorted(unlocked, reverse=True):
            raise ValueError("the unlocked levels must be 1..N")
        if attempt.finished_at is not None and attempt.finished_at < attempt.started_at:
            raise ValueError("the attempt finished before it started")
        return attempt


@dataclass
class SlowTest:
    """One of the learner's tests that made the planted-bug runs slow."""

    name: str
    runs: int
    """Bug runs it ran in (a run stops at its first failing test)."""
    seconds_per_run: float
    total_s: float

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "runs": self.runs,
            "seconds_per_run": round(self.seconds_per_run, 3),
            "total_s": round(self.total_s, 3),
        }
