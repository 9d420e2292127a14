"""The learner's history: every grade and every interview attempt, in one SQLite file.

Where it lives: ``$KATA_HOME/history.sqlite3``; without ``KATA_HOME``,
``$XDG_DATA_HOME/kata/history.sqlite3``, else ``~/.local/share/kata/history.sqlite3``.

The file is an application file in SQLite's sense: ``PRAGMA user_version`` is its schema version,
brought up to date by the steps of `MIGRATIONS` (one transaction, so two processes never migrate
twice); ``journal_mode=WAL`` and a busy timeout let two grades record at once. A database written
by a newer runner is refused and never altered; one that is not a database is left as it is. Every
failure is a `HistoryError`, which the command line turns into one warning: a grade never fails
because its history could not be written.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from kata.errors import HistoryError, HistoryTooNew, KataError
from kata.planted import load_bugs
from kata.report import Report

DB_NAME = "history.sqlite3"
BUSY_TIMEOUT_S = 30.0

Migration = Sequence[str]
"""One schema step: SQL statements run in order, in one transaction with the version bump."""

MIGRATIONS: tuple[Migration, ...] = (
    (
        """CREATE TABLE attempts (
            uid TEXT PRIMARY KEY,
            kata TEXT NOT NULL,
            started_at TEXT NOT NULL,
            budget_minutes INTEGER NOT NULL,
            levels_total INTEGER NOT NULL,
            finished_at TEXT,
            finish_reason TEXT NOT NULL DEFAULT '',
            minutes REAL
        )""",
        """CREATE TABLE attempt_levels (
            attempt_uid TEXT NOT NULL,
            level INTEGER NOT NULL,
            name TEXT NOT NULL,
            unlocked_minute REAL,
            passed_minute REAL,
            PRIMARY KEY (attempt_uid, level)
        )""",
        """CREATE TABLE grades (
            id INTEGER PRIMARY KEY,
            kata TEXT NOT NULL,
            graded_at TEXT NOT NULL,
            solution TEXT NOT NULL,
            solution_sha256 TEXT NOT NULL,
            seed INTEGER NOT NULL,
            profile TEXT NOT NULL,
            level INTEGER,
            levels_graded INTEGER NOT NULL,
            status TEXT NOT NULL,
            passed INTEGER NOT NULL,
            total INTEGER NOT NULL,
            bugs_caught INTEGER,
            bugs_total INTEGER,
            tests_set_aside TEXT NOT NULL DEFAULT '[]',
            ruff_findings INTEGER,
            mypy_findings INTEGER,
            duration_s REAL NOT NULL,
            elapsed_minutes REAL,
            attempt_uid TEXT,
            error TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX grades_by_kata ON grades (kata, graded_at)",
        "CREATE INDEX grades_by_attempt ON grades (attempt_uid)",
        """CREATE TABLE grade_scores (
            grade_id INTEGER NOT NULL,
            level INTEGER NOT NULL,
            kind TEXT NOT NULL,
            passed INTEGER NOT NULL,
            total INTEGER NOT NULL,
            PRIMARY KEY (grade_id, level, kind)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

BUGS = "planted bugs"
"""The `LevelScore.kind` of the learner's tests' catch of a level's planted bugs."""


def home(env: Mapping[str, str] | None = None) -> Path:
    """The runner's data folder: ``KATA_HOME``, else ``$XDG_DATA_HOME/kata``, else
    ``~/.local/share/kata``."""
    env = os.environ if env is None else env
    if env.get("KATA_HOME"):
        return Path(env["KATA_HOME"]).expanduser()
    data = env.get("XDG_DATA_HOME") or str(Path("~/.local/share").expanduser())
    return Path(data) / "kata"


def database(folder: Path | None = None) -> Path:
    """The history file inside `folder` (default: `home()`)."""
    return (folder if folder is not None else home()) / DB_NAME


@dataclass(frozen=True)
class LevelScore:
    """Passed of total at one level for one kind (correctness, performance, planted bugs)."""

    level: int
    kind: str
    passed: int
    total: int


@dataclass
class GradeRecord:
    """What the history keeps of one grade."""

    kata: str
    graded_at: datetime
    solution: str
    solution_sha256: str
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
        fields["graded_at"] = datetime.fromisoformat(str(fields["graded_at"]))
        fields["scores"] = [LevelScore(**s) for s in fields.get("scores", [])]
        return cls(**fields)


def _findings(report: Report, tool: str) -> int | None:
    """How many findings ruff or mypy reported; None when it did not run or could not check."""
    check = next((c for c in report.quality if c.id == f"quality::{tool}"), None)
    if check is None:
        return None
    if check.passed:
        return 0
    match = re.match(r"(\d+) finding", check.message)
    return int(match.group(1)) if match else None


def _bug_scores(report: Report, levels: int) -> list[LevelScore]:
    """Per level, how many of its planted bugs the learner's tests caught (from the misses)."""
    tests = report.user_tests
    if tests is None or tests.error or not tests.bugs_total:
        return []
    try:
        bugs = [b for b in load_bugs(report.kata.planted_bugs) if b.level <= levels]
    except KataError:
        return []
    missed = list(tests.missed)
    scores = []
    for level in sorted({b.level for b in bugs}):
        mine = [b for b in bugs if b.level == level]
        miss = 0
        for bug in mine:
            if bug.description in missed:
                missed.remove(bug.description)
                miss += 1
        caught = len(mine) - miss if tests.graded_against_bugs else 0
        scores.append(LevelScore(level, BUGS, caught, len(mine)))
    return scores


def summarise(
    report: Report,
    solution: Path,
    *,
    graded_at: datetime,
    attempt_uid: str | None = None,
    elapsed_minutes: float | None = None,
) -> GradeRecord:
    """The history record of `report`, a grade of the file `solution`."""
    try:
        digest = hashlib.sha256(solution.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    levels_graded = report.level or max((c.level for c in report.checks), default=0)
    levels_graded = levels_graded or len(report.kata.levels)
    scores = []
    for level in sorted({c.level for c in report.checks}):
        for kind in sorted({c.kind for c in report.checks if c.level == level}):
            mine = [c for c in report.checks if c.level == level and c.kind == kind]
            scores.append(LevelScore(level, kind, sum(c.passed for c in mine), len(mine)))
    tests = report.user_tests
    usable = tests is not None and not tests.error
    return GradeRecord(
        kata=report.kata.id,
        graded_at=graded_at,
        solution=report.solution,
        solution_sha256=digest,
        seed=report.seed,
        profile=report.profile,
        level=report.level,
        levels_graded=levels_graded,
        status=report.status,
        passed=sum(c.passed for c in report.checks),
        total=len(report.checks),
        scores=scores + _bug_scores(report, levels_graded),
        bugs_caught=tests.bugs_caught if usable and tests else None,
        bugs_total=tests.bugs_total if usable and tests else None,
        tests_set_aside=list(tests.failing_on_reference) if tests else [],
        ruff_findings=_findings(report, "ruff"),
        mypy_findings=_findings(report, "mypy"),
        duration_s=report.duration_s,
        elapsed_minutes=elapsed_minutes,
        attempt_uid=attempt_uid,
        error=report.error.splitlines()[0] if report.error else "",
    )


@dataclass
class LevelTimes:
    """When, in minutes since the start of an interview, a level was unlocked and passed."""

    level: int
    name: str
    unlocked_minute: float | None = None
    passed_minute: float | None = None

    @property
    def minutes_taken(self) -> float | None:
        if self.unlocked_minute is None or self.passed_minute is None:
            return None
        return self.passed_minute - self.unlocked_minute


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
    """``passed`` (the last level passed) or ``finished`` (`kata finish`); empty while running."""
    minutes: float | None = None
    """Minutes from start to finish; None while running."""

    @property
    def unlocked(self) -> int:
        return sum(t.unlocked_minute is not None for t in self.levels)

    @property
    def passed(self) -> int:
        return sum(t.passed_minute is not None for t in self.levels)

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
        fields = dict(data)
        fields["started_at"] = datetime.fromisoformat(str(fields["started_at"]))
        finished = fields.get("finished_at")
        fields["finished_at"] = datetime.fromisoformat(str(finished)) if finished else None
        fields["levels"] = [LevelTimes(**t) for t in fields["levels"]]
        return cls(**fields)


def _one_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class History:
    """An open history database. Use `History.open`; every method raises `HistoryError`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        create: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        timeout: float = BUSY_TIMEOUT_S,
    ) -> History:
        """Open (and, with `create`, create) the history at `path`, migrated to the latest schema.

        Refuses, unaltered, a database whose version is newer than `migrations` know
        (`HistoryTooNew`) and a file that is not a SQLite database (`HistoryError`).
        """
        if path.exists() and not path.is_file():
            raise HistoryError(f"{path} is not a file")
        if not create and not path.exists():
            raise HistoryError(f"no history yet at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise HistoryError(f"cannot open {path}: {_one_line(error)}") from error
        try:
            version = cls._version(connection)
            if version > len(migrations):
                raise HistoryTooNew(
                    f"{path} was written by a newer version of kata (schema {version}, this one "
                    f"knows {len(migrations)}); it was left untouched"
                )
            connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")
            if version < len(migrations):
                cls._migrate(connection, migrations)
        except sqlite3.Error as error:
            connection.close()
            raise HistoryError(
                f"{path} cannot be used as the history ({_one_line(error)}); it was left as it "
                "is: move it away to start a new history"
            ) from error
        except HistoryError:
            connection.close()
            raise
        return cls(connection, path)

    @staticmethod
    def _version(connection: sqlite3.Connection) -> int:
        row = connection.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    @classmethod
    def _migrate(cls, connection: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
        """Run the missing steps in one write transaction; a concurrent migrator waits, then
        finds nothing left to do."""
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = cls._version(connection)
            if version > len(migrations):
                raise HistoryTooNew(f"schema {version} is newer than this kata knows")
            for step in migrations[version:]:
                for statement in step:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {len(migrations)}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @property
    def version(self) -> int:
        return self._version(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Run `statements` in one write transaction; the rowid each one inserted."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            ids = []
            try:
                for sql, params in statements:
                    ids.append(self._db.execute(sql, params).lastrowid or 0)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise HistoryError(f"cannot write {self.path}: {_one_line(error)}") from error
        return ids

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            self._db.row_factory = sqlite3.Row
            return list(self._db.execute(sql, params))
        except sqlite3.Error as error:
            raise HistoryError(f"cannot read {self.path}: {_one_line(error)}") from error

    def record_grade(self, record: GradeRecord, attempt: Attempt | None = None) -> int:
        """Store `record` (and the state of its `attempt`) in one transaction; its id."""
        statements = self._attempt_statements(attempt) if attempt else []
        at = len(statements)
        statements.append(
            (
                """INSERT INTO grades (kata, graded_at, solution, solution_sha256, seed, profile,
                level, levels_graded, status, passed, total, bugs_caught, bugs_total,
                tests_set_aside, ruff_findings, mypy_findings, duration_s, elapsed_minutes,
                attempt_uid, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    record.kata,
                    record.graded_at.isoformat(),
                    record.solution,
                    record.solution_sha256,
                    record.seed,
                    record.profile,
                    record.level,
                    record.levels_graded,
                    record.status,
                    record.passed,
                    record.total,
                    record.bugs_caught,
                    record.bugs_total,
                    json.dumps(record.tests_set_aside),
                    record.ruff_findings,
                    record.mypy_findings,
                    record.duration_s,
                    record.elapsed_minutes,
                    record.attempt_uid,
                    record.error,
                ),
            )
        )
        for score in record.scores:
            statements.append(
                (
                    """INSERT INTO grade_scores (grade_id, level, kind, passed, total)
                    VALUES ((SELECT max(id) FROM grades), ?, ?, ?, ?)""",
                    (score.level, score.kind, score.passed, score.total),
                )
            )
        record.id = self._write(statements)[at]
        return record.id

    def save_attempt(self, attempt: Attempt) -> None:
        """Insert or update `attempt` and its levels' times."""
        self._write(self._attempt_statements(attempt))

    @staticmethod
    def _attempt_statements(attempt: Attempt) -> list[tuple[str, Sequence[Any]]]:
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                """INSERT INTO attempts (uid, kata, started_at, budget_minutes, levels_total,
                finished_at, finish_reason, minutes) VALUES (?,?,?,?,?,?,?,?)
                ON CONFLICT (uid) DO UPDATE SET finished_at = excluded.finished_at,
                finish_reason = excluded.finish_reason, minutes = excluded.minutes""",
                (
                    attempt.uid,
                    attempt.kata,
                    attempt.started_at.isoformat(),
                    attempt.budget_minutes,
                    len(attempt.levels),
                    attempt.finished_at.isoformat() if attempt.finished_at else None,
                    attempt.finish_reason,
                    attempt.minutes,
                ),
            )
        ]
        for times in attempt.levels:
            statements.append(
                (
                    """INSERT OR REPLACE INTO attempt_levels (attempt_uid, level, name,
                    unlocked_minute, passed_minute) VALUES (?,?,?,?,?)""",
                    (
                        attempt.uid,
                        times.level,
                        times.name,
                        times.unlocked_minute,
                        times.passed_minute,
                    ),
                )
            )
        return statements

    def grades(self, kata: str | None = None) -> list[GradeRecord]:
        """Recorded grades (of `kata`, or all), newest first."""
        where, params = ("WHERE kata = ?", (kata,)) if kata else ("", ())
        rows = self._read(f"SELECT * FROM grades {where} ORDER BY graded_at DESC, id DESC", params)
        scores: dict[int, list[LevelScore]] = {}
        for row in self._read("SELECT * FROM grade_scores ORDER BY grade_id, level, kind"):
            scores.setdefault(row["grade_id"], []).append(
                LevelScore(row["level"], row["kind"], row["passed"], row["total"])
            )
        return [
            GradeRecord(
                kata=row["kata"],
                graded_at=datetime.fromisoformat(row["graded_at"]),
                solution=row["solution"],
                solution_sha256=row["solution_sha256"],
                seed=row["seed"],
                profile=row["profile"],
                level=row["level"],
                levels_graded=row["levels_graded"],
                status=row["status"],
                passed=row["passed"],
                total=row["total"],
                scores=scores.get(row["id"], []),
                bugs_caught=row["bugs_caught"],
                bugs_total=row["bugs_total"],
                tests_set_aside=list(json.loads(row["tests_set_aside"] or "[]")),
                ruff_findings=row["ruff_findings"],
                mypy_findings=row["mypy_findings"],
                duration_s=row["duration_s"],
                elapsed_minutes=row["elapsed_minutes"],
                attempt_uid=row["attempt_uid"],
                error=row["error"],
                id=row["id"],
            )
            for row in rows
        ]

    def attempts(self, kata: str | None = None) -> list[Attempt]:
        """Recorded interview attempts (at `kata`, or all), newest first."""
        where, params = ("WHERE kata = ?", (kata,)) if kata else ("", ())
        rows = self._read(f"SELECT * FROM attempts {where} ORDER BY started_at DESC", params)
        levels: dict[str, list[LevelTimes]] = {}
        for row in self._read("SELECT * FROM attempt_levels ORDER BY attempt_uid, level"):
            levels.setdefault(row["attempt_uid"], []).append(
                LevelTimes(row["level"], row["name"], row["unlocked_minute"], row["passed_minute"])
            )
        return [
            Attempt(
                uid=row["uid"],
                kata=row["kata"],
                started_at=datetime.fromisoformat(row["started_at"]),
                budget_minutes=row["budget_minutes"],
                levels=levels.get(row["uid"], []),
                finished_at=(
                    datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else None
                ),
                finish_reason=row["finish_reason"],
                minutes=row["minutes"],
            )
            for row in rows
        ]


def record(path: Path, grade: GradeRecord, attempt: Attempt | None = None) -> int:
    """Open the history at `path`, store one grade (and its attempt's state), close it."""
    with History.open(path) as history:
        return history.record_grade(grade, attempt)


def save_attempt(path: Path, attempt: Attempt) -> None:
    """Open the history at `path`, store the state of one interview attempt, close it."""
    with History.open(path) as history:
        history.save_attempt(attempt)


def load(path: Path, kata: str | None = None) -> tuple[list[Attempt], list[GradeRecord]]:
    """The recorded attempts and grades (of `kata`, or all), newest first; empty lists when no
    history has been recorded yet. Raises HistoryError for a history that cannot be read."""
    if not path.exists():
        return [], []
    with History.open(path, create=False) as history:
        return history.attempts(kata), history.grades(kata)


SPARKS = "▁▂▃▄▅▆▇█"
ASCII_SPARKS = "._-~=+*#"
TREND_POINTS = 20
GRADES_SHOWN = 10


def sparkline(
    values: Sequence[float | None], top: float | None = None, *, unicode: bool = True
) -> str:
    """One character per value, its height proportional to value / `top` (default: the largest);
    a blank for a missing value."""
    marks = SPARKS if unicode else ASCII_SPARKS
    known = [v for v in values if v is not None]
    top = top if top is not None else max(known, default=0.0)
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif top <= 0:
            out.append(marks[0])
        else:
            step = round(min(max(value / top, 0.0), 1.0) * (len(marks) - 1))
            out.append(marks[step])
    return "".join(out)


def best_grade(grades: Sequence[GradeRecord]) -> GradeRecord | None:
    """The best grade: the most levels graded, then the highest score, then the earliest."""
    if not grades:
        return None
    return max(
        grades,
        key=lambda g: (
            not g.error,
            g.levels_graded,
            g.passed / g.total if g.total else 0.0,
            -g.graded_at.timestamp(),
        ),
    )


def _levels_reached(attempt: Attempt) -> str:
    passed = [t for t in attempt.levels if t.passed_minute is not None]
    return " · ".join(f"level {t.level} at {t.passed_minute or 0:.1f}" for t in passed)


def _attempt_line(attempt: Attempt, number: int) -> str:
    state = attempt.finish_reason or "running"
    minutes = "" if attempt.minutes is None else f"{attempt.minutes:.1f} min"
    if attempt.over_budget > 0:
        minutes += f" ({attempt.over_budget:.1f} over)"
    reached = _levels_reached(attempt) or "no level passed"
    return (
        f"    #{number} {attempt.started_at:%Y-%m-%d %H:%M}  {state:<9} "
        f"{attempt.passed}/{len(attempt.levels)} levels  {minutes:<20} {reached}"
    )


def _grade_line(grade: GradeRecord, attempt_numbers: Mapping[str, int]) -> str:
    bugs = "" if grade.bugs_total is None else f"  bugs {grade.bugs_caught}/{grade.bugs_total}"
    quality = ""
    if grade.ruff_findings is not None or grade.mypy_findings is not None:
        quality = f"  ruff {_count(grade.ruff_findings)} mypy {_count(grade.mypy_findings)}"
    number = attempt_numbers.get(grade.attempt_uid or "")
    attempt = f"  interview #{number}" if number else ""
    score = "error" if grade.error else f"{grade.passed}/{grade.total} {grade.percent}%"
    graded = "" if grade.solution == f"work/{grade.kata}/solution.py" else f"  {grade.solution}"
    return (
        f"    {grade.graded_at:%Y-%m-%d %H:%M}  levels 1..{grade.levels_graded}  {score:<12}"
        f"{bugs}{quality}  seed {grade.seed} {grade.profile}{attempt}{graded}"
    )


def _minutes(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def render(
    attempts: Sequence[Attempt],
    grades: Sequence[GradeRecord],
    titles: Mapping[str, str],
    *,
    unicode: bool = True,
) -> list[str]:
    """`kata history` for a terminal: per kata, the best grade, the interview attempts and the
    grades (newest first), and a trend of levels, minutes and score (oldest first)."""
    lines: list[str] = []
    for kata in sorted({g.kata for g in grades} | {a.kata for a in attempts}):
        mine = [g for g in grades if g.kata == kata]
        tries = [a for a in attempts if a.kata == kata]
        numbers = {a.uid: len(tries) - i for i, a in enumerate(tries)}
        title = titles.get(kata, "")
        lines.append(f"{kata}" + (f" — {title}" if title else ""))
        best = best_grade(mine)
        if best is not None:
            lines.append(
                f"  best: {best.percent}% ({best.passed}/{best.total} checks of levels "
                f"1..{best.levels_graded}) on {best.graded_at:%Y-%m-%d %H:%M}"
            )
        if tries:
            lines.append("  interview attempts, newest first:")
            lines.extend(_attempt_line(a, numbers[a.uid]) for a in tries)
        old_first = list(reversed(tries))[-TREND_POINTS:]
        graded = list(reversed(mine))[-TREND_POINTS:]
        if len(old_first) + len(graded) > 1:
            lines.append("  trend, oldest to newest:")
        if len(old_first) > 1:
            levels = [float(a.passed) for a in old_first]
            top = float(max(len(a.levels) for a in old_first))
            minutes = [a.minutes for a in old_first]
            lines.append(
                f"    levels passed per attempt  {sparkline(levels, top, unicode=unicode)}  "
                + " ".join(str(a.passed) for a in old_first)
            )
            lines.append(
                f"    minutes per attempt        {sparkline(minutes, unicode=unicode)}  "
                + " ".join(_minutes(m) for m in minutes)
            )
        if len(graded) > 1:
            scores = [None if g.error else float(g.percent) for g in graded]
            lines.append(
                f"    score per grade            {sparkline(scores, 100.0, unicode=unicode)}  "
                + " ".join("err" if g.error else f"{g.percent}%" for g in graded[-8:])
            )
        if mine:
            lines.append("  grades, newest first:")
            lines.extend(_grade_line(g, numbers) for g in mine[:GRADES_SHOWN])
            if len(mine) > GRADES_SHOWN:
                lines.append(f"    ... {len(mine) - GRADES_SHOWN} older (--json shows all)")
        lines.append("")
    return lines[:-1] if lines else lines


def as_json(attempts: Sequence[Attempt], grades: Sequence[GradeRecord]) -> dict[str, Any]:
    """`kata history --json`: everything recorded, newest first, with the best grade per kata."""
    katas = sorted({g.kata for g in grades} | {a.kata for a in attempts})
    best = {k: best_grade([g for g in grades if g.kata == k]) for k in katas}
    return {
        "version": SCHEMA_VERSION,
        "best": {k: (g.as_json() if g else None) for k, g in best.items()},
        "attempts": [a.as_json() for a in attempts],
        "grades": [g.as_json() for g in grades],
    }
